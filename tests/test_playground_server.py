"""The playground server: Host/Origin refusals, the WebSocket protocol, validation messages, the CLI's CSV limit."""

from __future__ import annotations

import argparse
import json
import re

import numpy as np
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from deltagrad.cli import build_parser
from deltagrad.cli import playground as cli
from deltagrad.data import DataError
from deltagrad.playground.server import create_app
from deltagrad.playground.state import defaults

BASE = "http://127.0.0.1:8765"
ORIGIN = {"origin": BASE}
WS = "ws://127.0.0.1:8765/ws"


@pytest.fixture
def client():
    with TestClient(create_app("127.0.0.1", 8765), base_url=BASE) as c:
        yield c


def test_page_and_assets_are_served_to_our_own_host(client):
    page = client.get("/")
    assert page.status_code == 200 and '<script type="module" src="/static/page.js">' in page.text
    for name in ("page.js", "main.js", "controls.js", "network.js", "plots.js", "style.css"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and "http" not in r.text.replace("http://", "").lower() or name, name
    table = client.get("/api/table").json()
    assert [f["name"] for f in table][:2] == ["dataset", "iris_x"]
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200


def test_nothing_is_loaded_from_another_origin(client):
    for name in ("index.html", "page.js", "main.js", "controls.js", "network.js", "plots.js", "style.css", "widget.js"):
        text = client.get("/" if name == "index.html" else f"/static/{name}").text
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, name


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "attacker.127.0.0.1.nip.io:8765", ""])
def test_foreign_host_is_refused(client, host):
    r = client.get("/", headers={"host": host})
    assert r.status_code == 403 and "refused" in r.text
    assert client.get("/api/table", headers={"host": host}).status_code == 403


def test_foreign_origin_is_refused(client):
    r = client.get("/api/table", headers={"origin": "http://evil.example"})
    assert r.status_code == 403 and "Origin" in r.text
    assert client.get("/api/table", headers={"origin": BASE}).status_code == 200


@pytest.mark.parametrize("headers", [{"origin": "http://evil.example"}, {}, {"origin": "http://localhost:1"}])
def test_websocket_from_a_foreign_or_missing_origin_is_refused(client, headers):
    with pytest.raises(WebSocketDisconnect) as e, client.websocket_connect(WS, headers=headers) as ws:
        ws.receive_json()
    assert e.value.code == 1008


def receive_until(ws, kind):
    for _ in range(20):
        msg = ws.receive_json()
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind} message")


def test_hello_with_bad_hash_reports_and_keeps_defaults(client):
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        ws.send_json({"type": "hello", "hash": "#lr=__import__('os')&data=xor&hidden=3"})
        state = receive_until(ws, "state")
        assert state["state"]["lr"] == defaults()["lr"] and state["state"]["dataset"] == "xor"
        assert state["state"]["hidden"] == [3]
        assert len(state["errors"]) == 1 and "lr (Learning rate)" in state["errors"][0]
        data = receive_until(ws, "data")
        frame = receive_until(ws, "frame")
        assert len(data["train"]) + len(data["test"]) == defaults()["n_points"]
        assert frame["steps"] == 0 and frame["sizes"] == [2, 3, 1]


def test_messages_are_validated_and_never_crash_the_server(client):
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "step"}))
        assert "first message must be hello" in ws.receive_json()["message"]
        ws.send_json({"type": "hello", "hash": ""})
        receive_until(ws, "frame")
        bad = ["not json", "[1, 2]", json.dumps({"type": "eval", "code": "1+1"}),
               json.dumps({"type": "set", "name": "lr", "value": -1}),
               json.dumps({"type": "set", "name": "__class__", "value": 1}),
               json.dumps({"type": "set", "name": "hidden", "value": "3,300"}),
               json.dumps({"type": "select", "index": "x"}), json.dumps({"type": "hide", "name": "nope", "hide": True}),
               json.dumps({"type": "set", "name": "lr", "value": "0.1" * 30000})]
        for text in bad:
            ws.send_text(text)
            msg = ws.receive_json()
            assert msg["type"] == "error" and msg["message"], text
        ws.send_json({"type": "set", "name": "lr", "value": "0.5"})
        state = receive_until(ws, "state")
        assert state["state"]["lr"] == 0.5 and "lr=0.5" in state["hash"]


def test_step_select_hide_and_reset(client):
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        ws.send_json({"type": "hello", "hash": "#spf=5&seed=4"})
        first = receive_until(ws, "frame")
        ws.send_json({"type": "step"})
        frame = receive_until(ws, "frame")
        assert frame["steps"] == 5 and frame["W"] != first["W"]
        ws.send_json({"type": "select", "index": 7})
        assert receive_until(ws, "frame")["sample"]["index"] == 7
        ws.send_json({"type": "hide", "name": "lr", "hide": True})
        state = receive_until(ws, "state")
        assert state["hidden"] == ["lr"] and state["hash"].endswith("&hide=lr")
        ws.send_json({"type": "reset"})
        again = receive_until(ws, "frame")
        assert again["steps"] == 0 and again["W"] == first["W"]  # same seed, same initial weights


def test_play_sends_frames_until_pause(client):
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        ws.send_json({"type": "hello", "hash": "#n=40"})
        receive_until(ws, "frame")
        ws.send_json({"type": "play"})
        assert receive_until(ws, "state")["playing"] is True
        steps = [receive_until(ws, "frame")["steps"] for _ in range(3)]
        assert steps == sorted(steps) and steps[0] >= 1
        ws.send_json({"type": "pause"})


def test_cli_registers_playground_and_checks_csv(tmp_path):
    args = build_parser().parse_args(["playground", "--no-browser", "--port", "0"])
    assert args.no_browser and args.host == "127.0.0.1"
    big = tmp_path / "big.csv"
    big.write_text("a,b,c\n" + "1,2,x\n" * 200_000)
    with pytest.raises(DataError, match="over the playground's limit"):
        cli.read_csv(str(big), "c")
    three = tmp_path / "three.csv"
    three.write_text("a,b,c\n1,2,x\n2,3,y\n4,1,z\n")
    assert cli.read_csv(str(three), "c").class_names == ["x", "y", "z"]
    cases = {  # the table, and what the message must say
        "a,b,c\n1,2,x\n2,3,x\n": "1 class ('x')",
        "a,b,c\n" + "".join(f"{i},{i % 3},v{i}\n" for i in range(9)): "9 distinct values ('v0', 'v1'",
        "a,b,c\n1,2,x\n2,oops,y\n": "line 3, column 'b': 'oops' is not a finite number",
        "a,c\n1,x\n2,y\n": "at least 2 numeric feature columns",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(DataError, match=re.escape(message)) as e:
            cli.read_csv(str(bad), "c")
        assert "--drop" not in str(e.value)  # the playground has no --drop option
    with pytest.raises(DataError, match="2 to 6 classes"):
        bad.write_text("a,b,c\n" + "".join(f"{i},{i % 3},v{i}\n" for i in range(7)))
        cli.read_csv(str(bad), "c")
    bad.write_text("a,b,c\n1,2,x\n2,oops,y\n")
    with pytest.raises(DataError, match="remove this one from the file"):
        cli.read_csv(str(bad), "c")
    ok = tmp_path / "ok.csv"
    ok.write_text("a,b,c\n1,2,x\n2,3,y\n4,1,x\n0,0,y\n")
    assert cli.read_csv(str(ok), "c").class_names == ["x", "y"]
    assert cli.run(argparse.Namespace(csv=str(big), target="c", host="127.0.0.1", port=0, no_browser=True)) == 2


def test_bind_gives_a_free_loopback_port():
    sock = cli.bind("127.0.0.1", 0)
    try:
        host, port = sock.getsockname()
        assert host == "127.0.0.1" and port > 0
    finally:
        sock.close()


def test_exercise_check_and_export_over_the_socket(client, tmp_path):
    from deltagrad.check import check_worked_example

    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        ws.send_json({"type": "hello", "hash": "#hidden=2&sample=3&quiz=delta2"})
        frame = receive_until(ws, "frame")
        d2 = frame["sample"]["delta"][1][0]  # the engine's δ2: the check must agree with what the page was sent
        ws.send_json({"type": "check", "answers": {"delta2": [f"{d2:.4g}"]}})
        assert receive_until(ws, "checked")["results"][0]["verdict"] == "OK"
        ws.send_json({"type": "check", "answers": {"delta2": [f"{d2 + 0.1:.4g}"]}})
        assert receive_until(ws, "checked")["results"][0]["verdict"] == "first wrong here"
        ws.send_json({"type": "check", "answers": {"delta2": ["1;2"]}})
        assert "not a number" in receive_until(ws, "error")["message"]
        ws.send_json({"type": "export", "answers": {"delta2": [f"{d2:.4g}"]}})
        toml = receive_until(ws, "toml")
        assert toml["filename"] == "playground-sample3-step0.toml"
        path = tmp_path / toml["filename"]
        path.write_text(toml["text"])
        assert check_worked_example(path).ok


def _args(**kw):
    return argparse.Namespace(**{"csv": None, "target": None, "host": "127.0.0.1", "port": 0, "no_browser": True, **kw})


def test_cli_warns_off_loopback_and_reports_a_busy_port(monkeypatch, capsys):
    import uvicorn

    served = []
    def fake_run(self, sockets=None):  # record the bound address instead of serving
        served.append(sockets[0].getsockname())
        sockets[0].close()

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    assert cli.run(_args()) == 0
    out, err = capsys.readouterr()
    assert re.search(r"http://127\.0\.0\.1:\d+/", out) and "warning" not in err
    assert served and served[0][1] == int(re.search(r":(\d+)/", out).group(1))  # the URL names the bound port
    assert cli.run(_args(host="0.0.0.0")) == 0
    assert "warning: serving on 0.0.0.0" in capsys.readouterr().err
    busy = cli.bind("127.0.0.1", 0)
    try:
        assert cli.run(_args(port=busy.getsockname()[1])) == 2
        assert "cannot listen on 127.0.0.1" in capsys.readouterr().err
    finally:
        busy.close()
    assert cli.run(_args(port=70000)) == 2


def test_csv_upload_is_checked_and_then_used(client):
    table = "a,b,kind\n" + "".join(f"{i % 7},{(i * 3) % 5},{'yes' if i % 2 else 'no'}\n" for i in range(40))
    r = client.post("/api/csv?target=kind&session=tab-aaaa1", content=table, headers={"origin": BASE})
    assert r.status_code == 200 and r.json() == {"rows": 40, "classes": ["no", "yes"], "features": ["a", "b"]}
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        ws.send_json({"type": "hello", "hash": "#data=csv&test=0.25", "session": "tab-aaaa1"})
        data = receive_until(ws, "data")
        assert len(data["train"]) == 30 and len(data["test"]) == 10
        X = np.array([p[:2] for p in data["train"] + data["test"]])
        assert abs(X.mean(axis=0)).max() < 0.2  # standardized, halved, jittered by the default noise
    bad = client.post("/api/csv?target=nope&session=tab-aaaa1", content=table)
    assert bad.status_code == 400 and "nope" in bad.json()["error"] and "/tmp" not in bad.json()["error"]
    big = client.post("/api/csv?target=kind&session=tab-aaaa1", content="a,b,kind\n" + "1,2,x\n" * 200_000)
    assert big.status_code == 413 and "limit" in big.json()["error"]
    assert client.post("/api/csv?target=kind&session=tab-aaaa1", content=table,
                       headers={"origin": "http://evil.example"}).status_code == 403


def test_k_classes_with_a_one_output_loss_switch_to_softmax_ce(client):
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        ws.send_json({"type": "hello", "hash": "#data=blobs&k=4&loss=hinge"})
        state = receive_until(ws, "state")
        assert state["state"]["loss"] == "softmax_ce" and "loss=softmax_ce" in state["hash"]
        assert any("hinge" in e and "4 classes" in e for e in state["errors"])
        data = receive_until(ws, "data")
        assert data["classes"] == ["class 0", "class 1", "class 2", "class 3"]
        assert {p[2] for p in data["train"]} == {0, 1, 2, 3}
        frame = receive_until(ws, "frame")
        assert frame["sizes"][-1] == 4 and frame["multi"] is True and len(frame["sample"]["probs"]) == 4


def test_the_run_buttons_can_be_hidden_by_message_and_the_table_lists_them(client):
    table = client.get("/api/table", headers=ORIGIN).json()
    actions = {f["name"]: f for f in table if f["kind"] == "action"}
    assert set(actions) == {"run", "walk"} and all(f["hideable"] for f in actions.values())
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        ws.send_json({"type": "hello", "hash": "#hide=walk"})
        assert receive_until(ws, "state")["hidden"] == ["walk"]
        ws.send_json({"type": "hide", "name": "run", "hide": True})
        state = receive_until(ws, "state")
        assert state["hidden"] == ["run", "walk"] and state["hash"].endswith("&hide=run,walk")
        ws.send_json({"type": "hide", "name": "walk", "hide": False})
        assert receive_until(ws, "state")["hash"].endswith("&hide=run")


def test_an_uploaded_csv_belongs_to_its_tab(client):
    table = "a,b,kind\n" + "".join(f"{i % 7},{(i * 3) % 5},{'yes' if i % 2 else 'no'}\n" for i in range(40))
    other = "p,q,c\n" + "".join(f"{i},{i % 3},{'u' if i % 4 else 'v'}\n" for i in range(24))
    assert client.post("/api/csv?target=kind&session=tab-one-1", content=table, headers=ORIGIN).status_code == 200
    assert client.post("/api/csv?target=c&session=tab-two-2", content=other, headers=ORIGIN).status_code == 200
    missing = client.post("/api/csv?target=kind", content=table, headers=ORIGIN)
    assert missing.status_code == 400 and "session" in missing.json()["error"]
    assert client.post("/api/csv?target=kind&session=../x", content=table, headers=ORIGIN).status_code == 400
    counts = {}
    for tab in ("tab-one-1", "tab-two-2", "tab-three-3", None):
        with client.websocket_connect(WS, headers=ORIGIN) as ws:
            ws.send_json({"type": "hello", "hash": "#data=csv&test=0.25", "session": tab})
            state = receive_until(ws, "state")
            data = receive_until(ws, "data")
            counts[tab] = (state["state"]["dataset"], len(data["train"]) + len(data["test"]), state["errors"])
    assert counts["tab-one-1"] == ("csv", 40, []) and counts["tab-two-2"] == ("csv", 24, [])
    # a tab that uploaded nothing (and a hello without an id) never sees another tab's table
    for tab in ("tab-three-3", None):
        dataset, _, errors = counts[tab]
        assert dataset == "moons" and any("--csv" in e for e in errors)


def test_a_csv_with_three_classes_uses_softmax_ce_and_its_class_names(client):
    """k = 3 label values become 3 classes (sorted), one output each; a one-output loss switches, with a message."""
    rng = np.random.default_rng(0)
    centres = {"ash": (0, 0), "birch": (4, 0), "cedar": (0, 4)}
    rows = [f"{x + rng.normal():.3f},{y + rng.normal():.3f},{name}" for name, (x, y) in centres.items()
            for _ in range(20)]
    r = client.post("/api/csv?target=tree&session=tab-three3", content="u,v,tree\n" + "\n".join(rows) + "\n")
    assert r.status_code == 200 and r.json()["classes"] == ["ash", "birch", "cedar"]
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        ws.send_json({"type": "hello", "hash": "#data=csv&loss=bce&hidden=4", "session": "tab-three3"})
        state = receive_until(ws, "state")
        assert state["state"]["loss"] == "softmax_ce" and any("3 classes" in e for e in state["errors"])
        assert state["sizes"] == [2, 4, 3] and state["classes"] == ["ash", "birch", "cedar"]
        data = receive_until(ws, "data")
        assert data["classes"] == ["ash", "birch", "cedar"] and {p[2] for p in data["train"] + data["test"]} == {0, 1, 2}
        # the labels follow the names: "birch" points are the ones centred on the right (x₁ large)
        pts = np.array(data["train"] + data["test"])
        assert pts[pts[:, 2] == 1][:, 0].mean() > pts[pts[:, 2] != 1][:, 0].mean() + 0.5
        frame = receive_until(ws, "frame")
        assert frame["multi"] and frame["sizes"] == [2, 4, 3] and len(frame["sample"]["probs"]) == 3
    bad = client.post("/api/csv?target=u&session=tab-three3", content="u,v,tree\n" + "\n".join(rows) + "\n")
    assert bad.status_code == 400 and "column 'tree': 'ash' is not a finite number" in bad.json()["error"]
    assert "choose it as the label column" in bad.json()["error"] and "/tmp" not in bad.json()["error"]
