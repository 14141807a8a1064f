"""gradcheck / gradgradcheck: Value and Tensor inputs, per-parameter reports, kinks, sampling, second order."""

import time
import warnings

import numpy as np
import pytest
from deltagrad.autograd import GradcheckError, Tensor, Value, gradcheck, gradgradcheck
from deltagrad.autograd.gradcheck import band

RNG = np.random.default_rng(7)


def test_readme_call_and_report_api_unchanged():
    r = gradcheck(lambda x, y: (x * y + x.exp()).tanh(), [0.3, -1.2])
    assert r and r.ok and len(r.rows) == 2
    assert [row.name for row in r.rows] == ["x0", "x1"]
    text = str(r)
    assert text.splitlines()[0].startswith("input") and "all gradients match" in text and "cs231n" in text


def test_tensor_inputs_positional_and_dict():
    W, b, X = RNG.standard_normal((3, 2)), RNG.standard_normal(3), RNG.standard_normal((4, 2))
    f = lambda W, b: ((Tensor(X) @ W.T + b).sigmoid() ** 2).sum()
    r1 = gradcheck(f, [W, Tensor(b, label="b")])
    r2 = gradcheck(lambda p: f(p["W1"], p["b1"]), {"W1": W, "b1": b})
    assert [row.name for row in r1.rows] == ["x0", "b"] and [row.name for row in r2.rows] == ["W1", "b1"]
    assert r2.rows[0].checked == r2.rows[0].size == 6 and r2.rows[0].index is not None


def test_float32_is_upcast_with_a_warning():
    with pytest.warns(UserWarning, match="float32"):
        r = gradcheck(lambda a: (a * a).sum(), [np.ones(3, dtype=np.float32)])
    assert r.ok


def test_a_wrong_gradient_is_reported_per_parameter():
    W = RNG.standard_normal((2, 3))

    def f(p):
        h = p["W"] * 1.0
        h.register_hook(lambda g: g * np.array([[1.0, 1.0, 1.0], [1.0, 3.0, 1.0]]))  # corrupt one element
        return (h.tanh() * p["v"]).sum()

    with pytest.raises(GradcheckError) as e:
        gradcheck(f, {"W": W, "v": RNG.standard_normal(3)})
    r = gradcheck(f, {"W": W, "v": RNG.standard_normal(3)}, raise_exception=False)
    row = r.rows[0]
    assert not r and row.name == "W" and row.mismatches == 1 and row.index == (1, 1)
    assert row.analytic == pytest.approx(3 * row.numeric, rel=1e-6) and row.band == "wrong"
    assert r.rows[1].ok and "(1, 1)" in str(e.value) and isinstance(e.value, AssertionError)


@pytest.mark.parametrize("make", [
    lambda x: x.relu() * 2.0,
    lambda x: abs(x) * 2.0,
    lambda x: x.clamp(0.0, 1.0) if isinstance(x, Value) else x.clip(0.0, 1.0),
    lambda x: x.leaky_relu(0.1),
])
def test_kinks_are_flagged_not_failed(make):
    r = gradcheck(make, [0.0])
    assert r.ok and r.rows[0].kinks == 1
    rt = gradcheck(lambda t: make(t).sum(), [np.array([0.0, 1e-7, 0.5])])
    assert rt.ok and rt.rows[0].kinks == 2 and "kink" in str(rt)


def test_kinks_of_maximum_and_max_reduction():
    from deltagrad.autograd import maximum
    assert gradcheck(lambda x, y: maximum(x, y) * 3.0, [0.2, 0.2]).rows[0].kinks == 1
    r = gradcheck(lambda t: t.max() * 1.0, [np.array([0.5, 0.5, 0.1])])
    assert r.ok and r.rows[0].kinks >= 1


def test_rel_error_bands_follow_cs231n():
    assert [band(x) for x in (1e-9, 1e-5, 1e-3, 0.5)] == ["great", "ok-ish", "uncomfortable", "wrong"]


def test_sampled_check_of_a_5000_parameter_net_is_fast():
    shapes = {"W1": (60, 80), "b1": (60,), "W2": (2, 60), "b2": (2,)}
    params = {k: RNG.standard_normal(s) * 0.1 for k, s in shapes.items()}
    X, Y = Tensor(RNG.standard_normal((16, 80))), Tensor(RNG.standard_normal((16, 2)))

    def loss(p):
        h = (X @ p["W1"].T + p["b1"]).tanh()
        return (((h @ p["W2"].T + p["b2"]) - Y) ** 2).mean()

    assert sum(v.size for v in params.values()) == 4982
    t0 = time.perf_counter()
    r = gradcheck(loss, params)
    elapsed = time.perf_counter() - t0
    assert r.ok and elapsed < 1.0, elapsed
    assert [row.checked for row in r.rows] == [64, 60, 64, 2, 1] and r.rows[-1].name == "direction v"


def _value_net(nin=40, nh=100, nout=10):
    """A one-sample Value MLP nin-nh-nout (tanh hidden layer, squared outputs) as f(*weights); its weight count."""
    x = RNG.standard_normal(nin).tolist()
    n = nh * nin + nh + nout * nh + nout
    calls = [0]

    def f(*p):
        calls[0] += 1
        W1, b1 = p[:nh * nin], p[nh * nin:nh * nin + nh]
        W2, b2 = p[nh * nin + nh:-nout], p[-nout:]
        h = [sum((W1[i * nin + j] * x[j] for j in range(nin)), b1[i]).tanh() for i in range(nh)]
        o = [sum((W2[k * nh + i] * h[i] for i in range(nh)), b2[k]) for k in range(nout)]
        return sum((ok * ok for ok in o), Value(0.0))

    return f, n, calls


def test_a_5000_input_value_net_is_checked_in_few_evaluations():
    """Thousands of scalar inputs: 16 sampled (not 64) plus the direction, so f runs 1 + 2·16 + 2 = 35 times.

    (Each evaluation rebuilds ~10,000 scalar nodes, about 10 ms; 35 of them take ~0.35 s where 131 took ~1.3 s.)
    """
    f, n, calls = _value_net()
    assert n == 5110
    r = gradcheck(f, list(RNG.standard_normal(n) * 0.1))
    assert r.ok and calls[0] <= 35, calls[0]
    assert len(r.rows) == 17 and r.rows[-1].name == "direction v"
    assert "sampled 16 of 5110 scalar inputs (fewer beyond 1,000" in str(r)
    calls[0] = 0  # an explicit sample size is honoured
    assert gradcheck(f, list(RNG.standard_normal(n) * 0.1), samples=20) and calls[0] == 1 + 2 * 20 + 2


def test_up_to_1000_scalar_inputs_keep_64_samples():
    xs = list(RNG.standard_normal(1000))
    r = gradcheck(lambda *v: sum((x * x for x in v), Value(0.0)), xs)
    assert r.ok and len(r.rows) == 65 and str(r).count("sampled 64 of 1000 scalar inputs") == 1
    assert "fewer beyond" not in str(r)
    assert len(gradcheck(lambda *v: sum((x * x for x in v), Value(0.0)), xs[:64]).rows) == 64  # all, no direction


def test_many_scalar_inputs_are_sampled():
    xs = list(RNG.standard_normal(100))
    r = gradcheck(lambda *v: sum((x * x for x in v), Value(0.0)), xs, samples=10)
    assert r.ok and len(r.rows) == 11 and "sampled 10 of 100" in str(r)


def test_gradgradcheck_values_and_tensors():
    assert gradgradcheck(lambda x, y: (x * y).tanh() * x.exp(), [0.4, -0.7])
    W = RNG.standard_normal((2, 3))
    assert gradgradcheck(lambda p: (p["W"].sigmoid() ** 3).sum(), {"W": W})


def test_gradgradcheck_catches_a_detached_first_derivative():
    def f(x):
        y = x * x
        y.register_hook(lambda g: g.detach() if isinstance(g, Value) else g)  # kills the 2nd-order path
        return y.sin()

    assert gradcheck(f, [0.7])  # first order is right
    with pytest.raises(GradcheckError):
        gradgradcheck(f, [0.7])


def test_non_scalar_output_is_an_error():
    with pytest.raises(ValueError, match="scalar"):
        gradcheck(lambda t: t * 2.0, [np.ones(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError):
            gradcheck(lambda x: 3.0, [1.0])
