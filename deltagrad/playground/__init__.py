"""The playground: a local web page where a learner trains a small net and watches backprop live.

Why here (in the ``deltagrad`` package, next to the CLI) and not in ``viz``: the training session
needs ``nn`` (Linear, activations, losses, optimizers) and the dependency rule says ``viz`` never
imports ``nn``. Like the CLI, this package may import everything; the browser only draws the
numbers the session computes with deltagrad's engine.

Modules: `.state` (the one declarative state table, URL hash in and out), `.datasets`
(the 2-D datasets), `.session` (training and frames), `.server` (Starlette app,
Host/Origin checks, the WebSocket protocol), ``static/`` (the page: plain ES modules).
"""

from .session import Session
from .state import STATE_TABLE, StateError, from_hash, to_hash, validate
from .widget import Playground

__all__ = ["STATE_TABLE", "Playground", "Session", "StateError", "from_hash", "to_hash", "validate"]
