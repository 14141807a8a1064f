"""The playground's state table: parsing, the URL hash both ways, and bad values keeping the defaults."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from deltagrad.playground.state import (
    BY_KEY,
    MAX_LAYERS,
    STATE,
    STATE_TABLE,
    defaults,
    from_hash,
    to_hash,
    validate,
)


def test_every_field_has_a_unique_key_and_a_valid_default():
    assert len(BY_KEY) == len(STATE_TABLE) == len(STATE)
    for f in STATE_TABLE:
        assert f.parse(f.default) == f.default, f.name
        assert f.parse(f.text(f.default)) == f.default, f.name


def test_hash_of_the_defaults_parses_back_without_errors():
    state, hidden, errors = from_hash("#" + to_hash(defaults()))
    assert state == defaults() and hidden == set() and errors == []


def test_bad_values_keep_the_default_and_name_the_key():
    state, _, errors = from_hash("#lr=abc&data=mnist&hidden=4,99&n=5&seed=-1&act=relu&zzz=1")
    d = defaults()
    for name in ("lr", "dataset", "hidden", "n_points", "seed"):
        assert state[name] == d[name], name
    assert state["activation"] == "relu"  # the good value is kept
    assert len(errors) == 6
    assert any("lr (Learning rate): expected a number, got 'abc'" in e for e in errors)
    assert any("moons" in e and "mnist" in e for e in errors)  # the choices are listed
    assert any("expected 1 to 8, got '99'" in e for e in errors)
    assert any("unknown key 'zzz'" in e for e in errors)


def test_numbers_that_are_not_finite_or_not_integers_are_refused():
    for text in ("lr=nan", "lr=inf", "lr=-0.1", "batch=2.5", "noise=1e999", "seed=0x10"):
        state, _, errors = from_hash(text)
        assert len(errors) == 1, text
        assert state == defaults(), text


def test_hidden_layers_limits():
    assert from_hash("hidden=")[0]["hidden"] == []  # a linear model: no hidden layer
    too_many = ",".join(["2"] * (MAX_LAYERS + 1))
    state, _, errors = from_hash(f"hidden={too_many}")
    assert state["hidden"] == defaults()["hidden"] and "at most 6 hidden layers" in errors[0]


def test_hide_lists_controls_and_refuses_unknown_ones():
    state, hidden, errors = from_hash("hide=lr,act,nope&lr=0.5")
    assert hidden == {"lr", "activation"} and state["lr"] == 0.5
    assert errors == ["URL: cannot hide 'nope' (not a hideable control)"]
    assert to_hash(state, hidden).endswith("&hide=act,lr") or to_hash(state, hidden).endswith("&hide=lr,act")


def test_repeated_keys_and_overlong_hashes():
    state, _, errors = from_hash("lr=0.5&lr=0.7")
    assert state["lr"] == 0.5 and "given twice" in errors[0]
    state, _, errors = from_hash("lr=0.5&" + "x" * 5000)
    assert state == defaults() and "too long" in errors[0]


def test_validate_messages_never_raise():
    state, errors = validate({"lr": [1], "noise": {"a": 1}, "bogus": 1, "edge_grad": "yes", "hidden": [3, True]})
    assert state == defaults()
    assert len(errors) == 5


@st.composite
def states(draw):
    s = defaults()
    for f in STATE_TABLE:
        if f.kind == "choice":
            s[f.name] = draw(st.sampled_from(f.choices))
        elif f.kind == "bool":
            s[f.name] = draw(st.booleans())
        elif f.kind == "int":
            s[f.name] = draw(st.integers(int(f.lo), int(f.hi)))
        elif f.kind == "float":
            s[f.name] = draw(st.floats(f.lo, f.hi, allow_nan=False))
        elif f.kind == "quiz":
            s[f.name] = draw(st.lists(st.sampled_from(["delta1", "dW2", "db3", "delta7"]), unique=True))
        else:
            s[f.name] = draw(st.lists(st.integers(1, 8), max_size=MAX_LAYERS))
    return s


@settings(max_examples=200, deadline=None)
@given(states(), st.sets(st.sampled_from([f.name for f in STATE_TABLE])))
def test_any_valid_state_survives_the_url_exactly(state, hidden):
    back, hidden_back, errors = from_hash(to_hash(state, hidden))
    assert errors == [] and back == state and hidden_back == hidden


def test_quiz_lists_quantities_only():
    state, _, errors = from_hash("quiz=delta2,dW1,db1")
    assert state["quiz"] == ["delta2", "dW1", "db1"] and errors == []
    for bad in ("quiz=W1", "quiz=delta9", "quiz=delta1;rm", "quiz=z1"):
        state, _, errors = from_hash(bad)
        assert state["quiz"] == [] and len(errors) == 1 and "not a quantity" in errors[0], bad


def test_every_control_is_hideable_and_round_trips_through_the_url():
    from deltagrad.playground.state import ACTIONS, HIDEABLE

    # the buttons with no value (run, walk) and the settings drawn outside the panel (hidden, eg, quiz)
    text = "data=xor&hide=run,hidden,eg,quiz,walk,lr"
    state, hidden, errors = from_hash(text)
    assert errors == [] and hidden == {"run", "hidden", "edge_grad", "quiz", "walk", "lr"}
    assert state["dataset"] == "xor" and "run" not in state and "walk" not in state  # actions are not settings
    again = from_hash(to_hash(state, hidden))
    assert again[1] == hidden and again[0] == state and again[2] == []
    assert to_hash(state, hidden).endswith("&hide=hidden,lr,eg,quiz,run,walk")  # table order, then the actions
    assert {f.name for f in ACTIONS} == {"run", "walk"} and set(HIDEABLE) >= {"run", "walk", "hidden", "quiz"}
    assert from_hash("hide=run2")[2] == ["URL: cannot hide 'run2' (not a hideable control)"]
