"""deltagrad: the command line on top of autograd, nn and viz."""
