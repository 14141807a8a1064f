// The playground's front end: the engine (the server, or the notebook's kernel) owns the state and computes every
// number. This module wires controls to messages and draws each frame; window.playground exposes the latest
// state and frame (read by the browser tests). How messages travel is the transport's business: page.js (a
// WebSocket to `deltagrad playground`) or widget.js (the comm of the notebook widget deltagrad.Playground).
import { buildControls, csvSummary, hideBoxes, showHidden, showState } from "./controls.js";
import { CLASS_HEX, drawBoundary, drawLosses, pick } from "./plots.js";
import { at, chainRule, drawNetwork, edgeLegend, hiddenBy, sampleSummary, weightGrads } from "./network.js";
import { download, showVerdicts, syncExercise } from "./exercise.js";

const HIDDEN_NOTE = "(hidden: the exercise asks for these numbers)";

// root: the document or the widget's shadow root (element ids are looked up there); page: the element whose
// classes and data- attributes carry the page's state (document.body, or the widget's top div).
// transport: {table(), connect({onMessage, onClose}), send(msg), showHash(hash), shareText(), upload(text, target)}
export async function start({root, page, transport}) {
const $ = id => root.getElementById(id);
const view = { checked: null, toml: null, quizKey: "", answers: {}, walk: null, state: null, hidden: [], frame: null, data: null, frames: 0, drawn: 0, hit: null, focus: null, playing: false,
  errors: [] };
window.playground = view;


function messages(list) {
  view.errors = list;
  $("messages").replaceChildren(...list.map(t => { const d = document.createElement("div"); d.textContent = t; return d; }));
}

const table = await transport.table();
const send = msg => transport.send(msg);
const onHide = (name, hide) => send({type: "hide", name, hide});
const inputs = buildControls($("controls"), table, send, onHide);

$("csv-upload").hidden = !transport.upload;
transport.connect({onClose: text => messages([text]), onMessage: msg => {
  if (msg.type === "state") {
    view.state = msg.state; view.hidden = msg.hidden; view.playing = msg.playing;
    messages(msg.errors);
    transport.showHash(msg.hash);
    showState(inputs, msg.state, msg.hidden, msg.classes);
    $("edge-grad").checked = msg.state.edge_grad;
    $("l2-note").hidden = !(msg.state.l2 > 0);
    $("play").textContent = msg.playing ? "❚❚ pause" : "▶ play";
    page.dataset.playing = msg.playing;
    syncExercise($("exercise"), msg, send, view);
    hideBoxes(onHide, root);
    showHidden(msg.hidden, root);
    requestAnimationFrame(draw);  // what a hide changes on the canvas (the neuron +/− buttons)
  } else if (msg.type === "data") {
    view.data = msg;
    classLegend(msg.classes);
  } else if (msg.type === "frame") {
    msg.boundary = unpack(msg.boundary);
    msg.heatmaps = msg.heatmaps.map(layer => layer.map(unpack));
    view.frame = msg; view.frames += 1;
    requestAnimationFrame(draw);
  } else if (msg.type === "checked") {
    view.checked = msg.results;
    showVerdicts($("exercise"), msg.results);
  } else if (msg.type === "toml") {
    view.toml = msg.text;
    download(msg.text, msg.filename);
  } else if (msg.type === "error") {
    messages([msg.message]);
  }
}});

// which colour is which class (the boundary is shaded by the predicted class's probability with softmax_ce)
function classLegend(names) {
  const items = names.map((name, c) => {
    const s = document.createElement("span");
    s.className = "class-key"; s.style.color = CLASS_HEX[c]; s.textContent = `● ${c}: ${name}`;
    return s;
  });
  const note = document.createElement("span");
  note.textContent = names.length > 2 || view.state?.loss === "softmax_ce"
    ? "background: the predicted class (largest softmax probability), paler where it is less sure"
    : "background: the output (orange > 0 predicts class 1, purple < 0 class 0)";
  $("class-legend").replaceChildren(...items, note);
}

// a grid packed by the server (base64 of little-endian float32) as a Float32Array
function unpack(text) {
  const raw = atob(text), bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

let pending = false;
function draw() {
  const f = view.frame;
  if (!f || !view.data || pending) return;
  pending = true;
  try {
    const h = f.history[f.history.length - 1];
    $("steps").textContent = f.steps;
    $("epoch").textContent = f.epoch.toFixed(1);
    $("train-loss").textContent = h[1].toFixed(3);
    $("test-loss").textContent = h[2].toFixed(3);
    $("test-acc").textContent = (100 * f.accuracy.test).toFixed(0) + "%";
    $("sample-info").textContent = sampleSummary(f.sample, view.data.classes);
    $("edge-legend").innerHTML = edgeLegend(f.sample, view.state.edge_grad || view.walk !== null, view.walk !== null);
    const arch = !view.hidden.includes("hidden") ? "on" : page.classList.contains("lesson") ? "dim" : "off";
    view.hit = drawNetwork($("network"), f, view.state.edge_grad, view.focus, walkView(), view.state.quiz, arch);
    drawBoundary($("boundary"), f, view.data, f.sample.index);
    drawLosses($("losses"), f.history);
    if (view.focus) showTip(view.focus);
    page.dataset.steps = f.steps;
    page.dataset.sizes = f.sizes.join();  // what is drawn (and where playground.hit's buttons are)
    view.drawn += 1;
  } finally {
    pending = false;
  }
}

function showTip(focus) {
  const tip = $("tooltip");
  tip.textContent = hiddenBy(view.state.quiz, "delta", focus.c - 1) ? HIDDEN_NOTE : chainRule(view.frame, focus.c, focus.j);
  tip.hidden = false;
  tip.style.left = (focus.x + 60) + "px";
  tip.style.top = (focus.y + 40) + "px";
}

// Backward step mode: walk the selected sample's backward pass in the engine's order (frame.sample.walk).
function walkView() {
  if (view.walk === null || !view.frame) return null;
  const steps = view.frame.sample.walk;
  view.walk = Math.min(view.walk, steps.length - 1);  // a smaller net since the walk began
  return {done: new Set(steps.slice(0, view.walk + 1).map(st => st.join())), at: steps[view.walk]};
}
function showWalk() {
  const on = view.walk !== null;
  $("walk-exit").hidden = !on; $("walk-caption").hidden = !on;
  page.dataset.walk = on ? view.walk : "";
  if (on) {
    const steps = view.frame.sample.walk, [kind, l, j] = steps[view.walk];
    $("walk-count").textContent = `step ${view.walk + 1} of ${steps.length}`;
    $("walk-caption").textContent = hiddenBy(view.state.quiz, kind, l) ? HIDDEN_NOTE
      : kind === "delta" ? chainRule(view.frame, l + 1, j) : weightGrads(view.frame, l, j);
  } else {
    $("walk-count").textContent = "";
  }
  requestAnimationFrame(draw);
}
$("walk-next").addEventListener("click", () => {
  if (view.playing) send({type: "pause"});
  const n = view.frame.sample.walk.length;
  view.walk = view.walk === null ? 0 : Math.min(n - 1, view.walk + 1);
  showWalk();
});
$("walk-prev").addEventListener("click", () => { if (view.walk !== null) { view.walk = Math.max(0, view.walk - 1); showWalk(); } });
$("walk-exit").addEventListener("click", () => { view.walk = null; showWalk(); });

$("play").addEventListener("click", () => {
  if (!view.playing) { view.walk = null; showWalk(); }
  send({type: view.playing ? "pause" : "play"});
});
$("step").addEventListener("click", () => send({type: "step"}));
$("reset").addEventListener("click", () => send({type: "reset"}));
$("edge-grad").addEventListener("change", e => send({type: "set", name: "edge_grad", value: e.target.checked}));
$("lesson").addEventListener("change", e => {
  page.classList.toggle("lesson", e.target.checked);
  requestAnimationFrame(draw);  // the neuron +/− buttons of a hidden architecture show in lesson mode
});
$("share").addEventListener("click", e => { e.preventDefault(); navigator.clipboard?.writeText(transport.shareText()); });

// a CSV for the csv dataset: POSTed as text (the server checks size, columns and classes), then selected
$("csv-send").addEventListener("click", async () => {
  const file = $("csv-file").files[0];
  if (!file) { messages(["choose a CSV file first"]); return; }
  if (file.size > 1_000_000) { messages([`${file.name}: ${file.size} bytes is over the limit of 1000000 bytes`]); return; }
  await uploadCsv(await file.text(), $("csv-target").value);
});
async function uploadCsv(text, target) {
  const [ok, info] = await transport.upload(text, target);
  if (!ok) { messages([info.error]); return info; }
  $("csv-info").textContent = csvSummary(info);
  send({type: "set", name: "dataset", value: "csv"});
  return info;
}
view.uploadCsv = uploadCsv;  // for the browser test

const setHidden = sizes => send({type: "set", name: "hidden", value: sizes.join(",")});
$("layer-add").addEventListener("click", () => setHidden([...view.state.hidden, 2]));
$("layer-remove").addEventListener("click", () => setHidden(view.state.hidden.slice(0, -1)));

$("boundary").addEventListener("click", ev => {
  const k = pick($("boundary"), view.data, ev);
  if (k >= 0) send({type: "select", index: k});
});

const net = $("network");
const local = ev => { const r = net.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; };
net.addEventListener("click", ev => {
  const b = view.hit && at(view.hit, "buttons", ...local(ev));
  if (!b) return;
  const sizes = [...view.state.hidden];
  sizes[b.layer] = Math.max(1, Math.min(8, sizes[b.layer] + b.delta));
  setHidden(sizes);
});
net.addEventListener("mousemove", ev => {
  const n = view.hit && at(view.hit, "neurons", ...local(ev));
  view.focus = n && n.c > 0 ? n : null;
  if (view.focus) showTip(view.focus); else $("tooltip").hidden = true;
});
net.addEventListener("mouseleave", () => { view.focus = null; $("tooltip").hidden = true; });
return view;
}
