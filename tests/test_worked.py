"""check_worked_example: claims against the engine and against the derivation's own earlier claims."""

import itertools
from pathlib import Path

import numpy as np
import pytest
from deltagrad.check import WorkedExampleError, check_worked_example
from deltagrad.check.worked_math import claim_order, engine_values, implied

EX = Path(__file__).resolve().parent.parent / "examples"


def test_corrected_seed_and_tiny_examples_pass():
    for name in ("seed_001_corrected.toml", "tiny_neuron.toml"):
        r = check_worked_example(EX / name)
        assert r.ok and r.first_wrong is None and all(x.verdict == "OK" for x in r.results), str(r)
        assert not any(x.note for x in r.results), str(r)


def test_seed_001_is_pinned_to_the_steps_that_made_each_error():
    r = check_worked_example(EX / "seed_001_worked_example.toml")
    assert not r and r.first_wrong.key == "z1" and r.first_wrong.line is not None
    first = [x.key for x in r.results if x.verdict == "first wrong here"]
    assert first == ["z1", "z2", "loss", "dW2", "delta1", "dW1", "W1_new", "b1_new", "W2_new", "b2_new"]
    assert r["a1"].verdict == "follows from the earlier error at z1"
    assert r["a2"].verdict == r["delta2"].verdict == r["db2"].verdict == "follows from the earlier error at z2"
    assert r["db1"].verdict == "follows from the earlier error at delta1"
    assert r["z2"].implied.item() == pytest.approx(1.5295)      # from the claimed a1, not 1.439
    assert r["loss"].implied.item() == pytest.approx(0.5 * 1.429**2)
    assert r["delta1"].wrong == [0, 1, 2] and "element(s) 0" in r["delta1"].note  # 0.5716 does follow
    assert "read row-major as (3, 2)" in r["dW1"].note
    assert "first wrong step: z1" in str(r)


def test_tolerance_follows_printed_digits(tmp_path):
    base = (EX / "tiny_neuron.toml").read_text()
    # a1 = 0.622459...: "0.62" (±0.005) holds, "0.6225" holds, "0.6224" (±0.00005) does not
    for text, ok in (("0.62", True), ("0.6225", True), ("0.6224", False), ("0.622459", True), ("1", False)):
        p = tmp_path / "t.toml"
        p.write_text(base.replace("a1 = 0.6225", f"a1 = {text}"))
        assert check_worked_example(p)["a1"].ok is ok, text
    d = {"network": {"sizes": [1, 1], "activations": ["linear"], "loss": "mse"}, "data": {"x": [1.0], "y": [0.0]},
         "parameters": {"W1": [[0.5]], "b1": [0.0]}, "claims": {"z1": "0.50", "loss": 0.25}}
    assert check_worked_example(d).ok
    d["claims"]["z1"] = "0.51"
    assert not check_worked_example(d)


@pytest.mark.parametrize("acts, loss", [
    (["sigmoid", "sigmoid"], "mse"), (["tanh", "linear"], "half_mse"), (["relu", "softmax"], "cross_entropy"),
    (["tanh", "sigmoid"], "cross_entropy"), (["sigmoid", "softmax"], "mse"),
])
def test_each_steps_formula_agrees_with_the_engine(acts, loss):
    rng = np.random.default_rng(3)
    sizes, m = [3, 4, 2], 5
    params = {f"W{l}": rng.standard_normal((sizes[l], sizes[l - 1])) for l in (1, 2)}
    params |= {f"b{l}": rng.standard_normal(sizes[l]) for l in (1, 2)}
    x = rng.standard_normal((m, 3))
    y = np.eye(2)[rng.integers(0, 2, m)] if loss == "cross_entropy" else rng.uniform(0, 1, (m, 2))
    eng = engine_values(sizes, acts, loss, params, x, y, 0.3)
    d = {"x": x, "y": y, **params, **eng}
    for key in claim_order(2):
        _, fn = implied(key, sizes, acts, loss, 0.3)
        np.testing.assert_allclose(fn(d), eng[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_a_batch_example_from_a_dict_passes():
    rng = np.random.default_rng(0)
    params = {"W1": rng.standard_normal((3, 2)).round(2), "b1": [0.1, 0.0, -0.1], "W2": [[0.3, -0.2, 0.5]], "b2": [0.0]}
    x, y = [[0.0, 1.0], [1.0, 0.0]], [[1.0], [0.0]]
    eng = engine_values([2, 3, 1], ["tanh", "sigmoid"], "cross_entropy",
                        {k: np.array(v, float).reshape(s) for (k, v), s in zip(params.items(), [(3, 2), 3, (1, 3), 1])},
                        np.array(x), np.array(y), 0.5)
    claims = {k: np.round(v, 6).tolist() for k, v in eng.items()}
    r = check_worked_example({"network": {"sizes": [2, 3, 1], "activations": ["tanh", "sigmoid"],
                                          "loss": "cross_entropy", "learning_rate": 0.5},
                              "data": {"x": x, "y": y}, "parameters": params, "claims": claims})
    assert r.ok and len(r.results) == 15, str(r)


@pytest.mark.parametrize("edit, needle", [
    (("sizes = [1, 1]", "sizes = [1, 1"), ":11:"),
    (("a1 = 0.6225", "a1 = [0.6, 0.7]"), ":25: claims.a1: 2 numbers, expected 1"),
    (("a1 = 0.6225", "a2 = 0.6225"), ":25: claims.a2: unknown claim"),
    (('loss = "half_mse"', 'loss = "hinge"'), ":12: network.loss: expected one of"),
    (("W1 = [[0.5]]", "W1 = [[0.5, 1.0]]"), ":20: parameters.W1: shape (1, 2), expected (1, 1)"),
    (("learning_rate = 1.0", ""), "network: claims.W1_new is an updated weight"),
    (("x = [2.0]", 'x = ["two"]'), ":16: data.x: expected a number"),
])
def test_malformed_examples_name_the_line_and_key(tmp_path, edit, needle):
    p = tmp_path / "bad.toml"
    p.write_text((EX / "tiny_neuron.toml").read_text().replace(*edit))
    with pytest.raises(WorkedExampleError) as e:
        check_worked_example(p)
    assert needle in str(e.value) and str(p) in str(e.value)


def test_claim_order_is_a_topological_order():
    for L in (1, 2, 3):
        seen = {"x", "y"} | {f"{p}{l}" for p, l in itertools.product("Wb", range(1, L + 1))}
        for key in claim_order(L):
            inputs, _ = implied(key, [2] * (L + 1), ["tanh"] * L, "mse", 0.1)
            assert set(inputs) <= seen, key
            seen.add(key)


# ---------------------------------------------------------------- non-finite numbers, empty lists, bools, strings


def _overflowing_example(claims):
    """x = 1e300, W1 = 1e300: z1 overflows to inf in float64, and z2 = 0·z1 is nan in IEEE arithmetic."""
    return {"network": {"sizes": [1, 1, 1], "activations": ["linear", "linear"], "loss": "half_mse"},
            "data": {"x": [1e300], "y": [0.0]},
            "parameters": {"W1": [[1e300]], "b1": [0.0], "W2": [[0.0]], "b2": [0.0]},
            "claims": claims}


def test_a_claim_is_never_confirmed_by_a_nan_from_the_engine():
    # 0·inf is nan in IEEE float64: the engine cannot confirm z2 = 0, so the claim must not read OK
    with np.errstate(all="ignore"):
        r = check_worked_example(_overflowing_example({"z2": 0.0}))
    assert np.isnan(r["z2"].engine).all()
    assert not r["z2"].ok and not r and r["z2"].verdict == "first wrong here"


@pytest.mark.parametrize("edit, needle", [
    (("x = [2.0]", "x = [nan]"), ":16: data.x: expected a finite number"),
    (("y = [1.0]", "y = [inf]"), ":17: data.y: expected a finite number"),
    (("W1 = [[0.5]]", "W1 = [[-inf]]"), ":20: parameters.W1: expected a finite number"),
    (("b1 = [-0.5]", "b1 = [" + "9" * 400 + "]"), ":21: parameters.b1: expected a finite number"),
    (("z1 = 0.5", "z1 = nan"), ":24: claims.z1: expected a finite number"),
    (("a1 = 0.6225", "a1 = +inf"), ":25: claims.a1: expected a finite number"),
    (("x = [2.0]", 'x = ["0.5"]'), ":16: data.x: expected a number, got the string '0.5'"),
    (("z1 = 0.5", 'z1 = "0.5"'), ":24: claims.z1: expected a number, got the string"),
    (("x = [2.0]", "x = []"), ":16: data.x: an empty list"),
    (("x = [2.0]", "x = [[]]"), ":16: data.x: an empty list"),
    (("z1 = 0.5", "z1 = []"), ":24: claims.z1: an empty list"),
    (("b1 = [-0.5]", "b1 = []"), ":21: parameters.b1: an empty list"),
    (("sizes = [1, 1]", "sizes = [true, true]"), ":10: network.sizes: expected a list of at least two positive"),
    (("learning_rate = 1.0", "learning_rate = nan"), ":13: network.learning_rate: expected a positive finite"),
    (("learning_rate = 1.0", "learning_rate = inf"), ":13: network.learning_rate: expected a positive finite"),
])
def test_non_finite_empty_and_mistyped_numbers_are_refused(tmp_path, edit, needle):
    p = tmp_path / "bad.toml"
    text = (EX / "tiny_neuron.toml").read_text()
    assert edit[0] in text
    p.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(WorkedExampleError) as e:
        check_worked_example(p)
    assert needle in str(e.value) and str(p) in str(e.value) and "\n" not in str(e.value)


def test_nan_in_a_dict_is_refused_but_digit_strings_still_work():
    d = _overflowing_example({"z1": 1.0})
    d["data"]["x"] = [float("nan")]
    with pytest.raises(WorkedExampleError, match="data.x: expected a finite number"):
        check_worked_example(d)
    d["data"]["x"] = ["nan"]
    with pytest.raises(WorkedExampleError, match="data.x: expected a finite number"):
        check_worked_example(d)
    ok = {"network": {"sizes": [1, 1], "activations": ["linear"], "loss": "half_mse"},
          "data": {"x": ["2.0"], "y": [1.0]}, "parameters": {"W1": [[0.5]], "b1": [0.0]}, "claims": {"z1": "1.00"}}
    assert check_worked_example(ok)  # 0.5·2 + 0 = 1: strings keep their digits in a dict, as documented


def test_no_claims_says_so():
    d = _overflowing_example({})
    d["parameters"]["W1"] = [[1.0]]
    r = check_worked_example(d)
    assert r.results == [] and "no claims to check" in str(r).splitlines()[-1]
