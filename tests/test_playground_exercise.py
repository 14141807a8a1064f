"""Exercise mode: answers checked by the worked-example checker (numpy backprop as the oracle), TOML export."""

from __future__ import annotations

import numpy as np
import pytest
from deltagrad.check import check_worked_example
from test_playground_session import numpy_backprop, numpy_softmax_ce, weights

from deltagrad.playground.exercise import check_answers, quantity_keys, to_toml, worked_example
from deltagrad.playground.session import Session
from deltagrad.playground.state import StateError


def digits(a, n=4) -> list[str]:
    return [f"{v:.{n}g}" for v in np.ravel(a)]


@pytest.fixture(params=[("tanh", "bce"), ("relu", "mse")])
def case(request):
    act, loss = request.param
    s = Session({"dataset": "moons", "n_points": 60, "hidden": [3, 2], "activation": act, "loss": loss,
                 "sample": 6, "seed": 1})
    s.step(10)
    x, t = s.X_train[6:7], s.t_train[6:7]
    _, _, _, deltas, dWs, dbs = numpy_backprop(weights(s), s.act_names, x, t, loss)
    return s, deltas, dWs, dbs


def test_right_answers_pass_with_the_digits_typed(case):
    s, deltas, dWs, dbs = case
    answers = {"delta3": digits(deltas[2]), "delta2": digits(deltas[1]), "dW2": digits(dWs[1]), "db1": digits(dbs[0])}
    results = check_answers(s, answers)
    assert [r["key"] for r in results] == ["delta3", "delta2", "dW2", "db1"]  # the derivation's order
    assert all(r["ok"] and r["verdict"] == "OK" for r in results), results


def test_a_wrong_answer_is_pinned_and_its_consequences_follow(case):
    s, deltas, _, _ = case
    wrong_d2 = deltas[1][0] * np.array([1.0, -1.0])  # a sign slip in δ2[2]
    if abs(wrong_d2[1]) < 1e-3:
        pytest.skip("δ2[2] too small to make a visible sign slip")
    typed = digits(wrong_d2, 6)
    implied_dW2 = np.outer([float(v) for v in typed], weights_a1(s))  # what the typed δ2 implies for ∂L/∂W2
    results = {r["key"]: r for r in check_answers(s, {"delta2": typed, "dW2": digits(implied_dW2, 6)})}
    assert results["delta2"]["verdict"] == "first wrong here" and results["delta2"]["wrong"] == [1]
    assert results["dW2"]["verdict"].startswith("follows from the earlier error") and not results["dW2"]["ok"]
    assert results["dW2"]["wrong"] == [3, 4, 5]  # row 2 of ∂L/∂W2 (row-major), from δ2[2]


def weights_a1(s: Session) -> np.ndarray:
    x = s.X_train[6:7]
    return numpy_backprop(weights(s), s.act_names, x, s.t_train[6:7], s.state["loss"])[2][0][0]


def test_tolerance_follows_the_digits():
    s = Session({"hidden": [2], "sample": 0})
    d = numpy_backprop(weights(s), s.act_names, s.X_train[:1], s.t_train[:1], "bce")[3][1][0, 0]
    coarse = f"{d:.2f}"  # off by up to 0.005: right, printed with 2 decimals
    fine = f"{float(coarse):.5f}"  # the same number with 5 decimals claims more than it knows
    assert abs(float(coarse) - d) > 1e-4  # (the example is only telling when rounding moved the value)
    assert check_answers(s, {"delta2": [coarse]})[0]["ok"] is True
    assert check_answers(s, {"delta2": [fine]})[0]["ok"] is False


def test_bad_answers_and_unsupported_heads_are_refused():
    s = Session({"hidden": [2]})
    for answers in ({}, {"delta3": ["1"]}, {"delta2": ["1", "2"]}, {"delta2": ["1+1"]}, {"delta2": ["nan"]},
                    {"delta2": [1.0]}, {"W1": ["1"]}, {"delta2": ["__import__('os')"]}):
        with pytest.raises(StateError):
            check_answers(s, answers)
    with pytest.raises(StateError, match="bce, mse or softmax_ce"):
        worked_example(Session({"loss": "hinge"}))
    with pytest.raises(StateError, match="activation"):
        worked_example(Session({"activation": "gelu"}))
    assert quantity_keys(2) == ["delta2", "dW2", "db2", "delta1", "dW1", "db1"]


def test_exported_toml_is_accepted_by_deltagrad_check(case, tmp_path):
    from deltagrad.cli import main

    s, deltas, dWs, _ = case
    path = tmp_path / "ex.toml"
    path.write_text(to_toml(worked_example(s, {"delta3": digits(deltas[2]), "dW1": digits(dWs[0])})))
    report = check_worked_example(path)
    assert report.ok and [r.key for r in report.results] == ["delta3", "dW1"]
    assert main(["check", "--quiet", str(path)]) == 0
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(to_toml(worked_example(s, {"delta3": digits(-deltas[2])})))
    assert main(["check", "--quiet", str(wrong)]) == 1


@pytest.fixture
def iris3():
    """A 2-4-3 tanh net on Iris' 3 classes (softmax cross-entropy), after 15 steps; numpy's backprop of sample 9."""
    s = Session({"dataset": "iris", "iris_class": "all", "loss": "softmax_ce", "hidden": [4], "activation": "tanh",
                 "sample": 9, "seed": 2, "lr": 0.1})
    s.step(15)
    _, _, As, deltas, dWs, dbs, p = numpy_softmax_ce(weights(s), s.act_names, s.X_train[9:10],
                                                     s.y_train[9:10].astype(int))
    return s, As, deltas, dWs, dbs, p


def test_softmax_ce_exercise_with_k_outputs(iris3):
    s, _, deltas, dWs, dbs, p = iris3
    assert s.sizes == [2, 4, 3] and np.isclose(p.sum(), 1.0)
    right = {"delta2": digits(deltas[1]), "dW2": digits(dWs[1]), "db2": digits(dbs[1]), "delta1": digits(deltas[0]),
             "dW1": digits(dWs[0])}
    results = check_answers(s, right)
    assert [r["key"] for r in results] == ["delta2", "dW2", "db2", "delta1", "dW1"]
    assert all(r["ok"] and r["verdict"] == "OK" for r in results), results
    # δ2 = softmax(z) − one-hot(label): typing p itself (forgetting the − 1 of the label's class) is wrong there only
    label = int(s.y_train[9])
    results = {r["key"]: r for r in check_answers(s, {"delta2": digits(p[0]), "dW1": digits(dWs[0])})}
    assert results["delta2"]["verdict"] == "first wrong here" and results["delta2"]["wrong"] == [label]
    assert results["dW1"]["ok"]  # checked against the engine's own δ2, not the wrong one typed before it
    # one element of ∂L/∂W2 (3×4, row-major) off: pinned by its index
    typed = digits(dWs[1])
    typed[6] = f"{float(typed[6]) + 0.05:.4g}"
    results = {r["key"]: r for r in check_answers(s, {"delta2": digits(deltas[1]), "dW2": typed})}
    assert results["delta2"]["ok"] and results["dW2"]["verdict"] == "first wrong here" and results["dW2"]["wrong"] == [6]
    # the checker's row-major, 0-based element list is not passed on: the page names the boxes ([2,3]) itself
    assert "element(s)" not in results["dW2"]["note"] and "the rest do not" not in results["dW2"]["note"]


def test_softmax_ce_export_is_accepted_by_deltagrad_check(iris3, tmp_path):
    from deltagrad.cli import main

    s, _, deltas, dWs, _, _ = iris3
    example = worked_example(s, {"delta2": digits(deltas[1]), "dW2": digits(dWs[1]), "delta1": digits(deltas[0])})
    assert example["network"] == {"sizes": [2, 4, 3], "activations": ["tanh", "softmax"], "loss": "cross_entropy"}
    assert example["data"]["y"] == np.eye(3)[int(s.y_train[9])].tolist()  # the label one-hot
    path = tmp_path / "iris.toml"
    path.write_text(to_toml(example))
    assert check_worked_example(path).ok
    assert main(["check", "--quiet", str(path)]) == 0
    wrong_dW2 = digits(dWs[1])
    wrong_dW2[0] = f"{-float(wrong_dW2[0]) + 0.5:.4g}"
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(to_toml(worked_example(s, {"delta2": digits(deltas[1]), "dW2": wrong_dW2})))
    report = check_worked_example(wrong)
    assert not report.ok and report["dW2"].verdict == "first wrong here"
    assert main(["check", "--quiet", str(wrong)]) == 1


def test_with_l2_the_exercise_asks_for_the_data_loss_gradient():
    """A worked example has no L2 term: with λ > 0 the exercise's ∂L/∂W is δ aᵀ (the view shows δ aᵀ + λW)."""
    s = Session({"dataset": "moons", "n_points": 60, "hidden": [3], "loss": "bce", "l2": 0.5, "sample": 4, "seed": 3})
    s.step(5)
    *_, dWs, _ = numpy_backprop(weights(s), s.act_names, s.X_train[4:5], s.t_train[4:5], "bce")
    assert check_answers(s, {"dW1": digits(dWs[0])})[0]["ok"]
    with_penalty = dWs[0] + 0.5 * weights(s)[0][0]
    assert not check_answers(s, {"dW1": digits(with_penalty)})[0]["ok"]
    np.testing.assert_allclose(s.sample(4)["dW"][0], with_penalty, atol=1e-12)  # what the view shows
