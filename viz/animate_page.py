"""The HTML, CSS and script of viz.animate's page (inline, no network): %TITLE%, %SVG%, %DATA% are filled in."""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>%TITLE%</title>
<style>
body { font-family: Courier, "DejaVu Sans Mono", monospace; margin: 12px; background: #fff; color: #111; }
#bar { display: flex; gap: 8px; align-items: center; margin-bottom: 6px; }
#bar input[type=range] { flex: 1; max-width: 640px; }
#phase { font-weight: bold; min-width: 8em; }
#caption { min-height: 2.6em; padding: 6px 8px; background: #f4f4f4; border-left: 4px solid #e66101; margin-bottom: 8px; }
#graph svg { max-width: 100%; height: auto; }
.todo { opacity: 0.3; }
.hl polygon, .hl ellipse, .hl path, .hl polyline { stroke: #e66101 !important; stroke-width: 3px; }
g.node.hl > polygon, g.node.hl > ellipse { fill: #fde0c5 !important; }
.edge.hl polygon { fill: #e66101 !important; }
</style>
</head>
<body>
<div id="bar">
<button id="prev" type="button">&#9664; prev</button>
<input id="slider" type="range" min="0" max="0" value="0" aria-label="step">
<button id="next" type="button">next &#9654;</button>
<span id="counter"></span> <span id="phase"></span>
</div>
<div id="caption"></div>
<div id="graph">%SVG%</div>
<script id="steps" type="application/json">%DATA%</script>
<script>
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("steps").textContent);
  var S = D.steps, I = D.init, ids = Object.keys(I);
  var fields = {};
  ids.forEach(function (id) {
    var g = document.getElementById(id);
    if (!g) return;
    var t = g.querySelectorAll("text");  // the record's last two fields are data and grad
    fields[id] = { data: t[t.length - 2], grad: t[t.length - 1], op: document.getElementById("o" + id.slice(1)) };
  });
  var slider = document.getElementById("slider");
  slider.max = String(S.length - 1);
  function show(k) {
    k = Math.max(0, Math.min(S.length - 1, k | 0));
    var state = {};
    ids.forEach(function (id) { state[id] = I[id].slice(); });
    for (var s = 0; s <= k; s++) {
      var ch = S[s].s;
      for (var id in ch) {
        for (var f = 0; f < 3; f++) { if (ch[id][f] !== null) state[id][f] = ch[id][f]; }
      }
    }
    ids.forEach(function (id) {
      var x = fields[id];
      if (!x) return;
      if (x.data) x.data.textContent = state[id][0];
      if (x.grad) x.grad.textContent = state[id][1];
      var g = document.getElementById(id);
      g.classList.toggle("todo", !state[id][2]);
      if (x.op) x.op.classList.toggle("todo", !state[id][2]);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".hl"), function (e) { e.classList.remove("hl"); });
    S[k].n.concat(S[k].e).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.classList.add("hl");
    });
    document.getElementById("caption").innerHTML = S[k].c;
    document.getElementById("counter").textContent = "step " + k + " / " + (S.length - 1);
    document.getElementById("phase").textContent = S[k].p + " pass";
    document.body.setAttribute("data-step", String(k));
    slider.value = String(k);
    cur = k;
    try { history.replaceState(null, "", "#step=" + k); } catch (e) { /* file:// in some browsers */ }
  }
  var cur = 0;
  document.getElementById("prev").addEventListener("click", function () { show(cur - 1); });
  document.getElementById("next").addEventListener("click", function () { show(cur + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") show(cur + 1);
    if (e.key === "ArrowLeft") show(cur - 1);
  });
  var m = /step=(\\d+)/.exec(location.hash);
  show(m ? parseInt(m[1], 10) : 0);
})();
</script>
</body>
</html>
"""
