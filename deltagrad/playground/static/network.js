// The network view on one canvas: a column per layer, each neuron's activation heatmap over the input plane,
// z / a / δ for the selected sample under it, edges by sign and |w| (or ∂L/∂w). Numbers come from the server.
import { CLASS_HEX, color, heatmap } from "./plots.js";

const BOX = 46, SLOT = BOX + 42, TOP = 44, POS = "#e66101", NEG = "#5e3c99";

export function fmt(v) {
  if (v === null || v === undefined) return "·";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? Number(v.toPrecision(3)).toString() : v.toExponential(2);
}

// Where every neuron is drawn: layout[c][j] = {x, y} (box top-left) for column c (0 = input).
export function layout(sizes, width) {
  const cols = sizes.length, m = 30;
  const step = (width - 2 * m - BOX) / Math.max(1, cols - 1);
  return sizes.map((n, c) => Array.from({length: n}, (_, j) => ({x: m + c * step, y: TOP + 22 + j * SLOT})));
}

// walk: null, or {done: Set of "delta,l,j" / "dW,l,j" keys already computed, at: the current step}
// quiz: the quantities an exercise hides ("delta2", "dW1", ...): δ drawn as "?", ∂L/∂w edges grey dashed
// arch: the neuron +/− buttons: "on"; "off" when a lesson hides the architecture (not drawn, not clickable);
// "dim" when it hides it and the lesson's author is editing (drawn pale, as the page's hidden controls, still working)
export function drawNetwork(canvas, frame, showGrad, focus, walk = null, quiz = [], arch = "on") {
  const sizes = frame.sizes, s = frame.sample;
  const width = canvas.parentElement.clientWidth - 20;
  const height = TOP + 30 + Math.max(...sizes) * SLOT;
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const pos = layout(sizes, frame.multi ? width - 60 : width);  // room for the output classes' names
  const hit = {neurons: [], buttons: []};

  // edges: weight W[l][k][j] from neuron j of column l to neuron k of column l+1
  const mats = showGrad || walk ? s.dW : frame.W;
  const known = (kind, l, j) => !quiz.includes(kind + (l + 1)) && (!walk || walk.done.has(`${kind},${l},${j}`));
  const edgeKnown = (l, k) => !(showGrad || walk) || known("dW", l, k);
  // δ: "?" when the exercise hides it (the learner's to find), "…" when the backward steps have not reached it yet
  const deltaText = (l, j) => quiz.includes(`delta${l + 1}`) ? "?" : known("delta", l, j) ? fmt(s.delta[l][j]) : "…";
  let top = 1e-12;
  mats.forEach(M => M.forEach(row => row.forEach(v => { top = Math.max(top, Math.abs(v)); })));
  mats.forEach((M, l) => M.forEach((row, k) => row.forEach((v, j) => {
    const a = pos[l][j], b = pos[l + 1][k], shown = edgeKnown(l, k);
    ctx.strokeStyle = !shown ? "#ccc" : v >= 0 ? POS : NEG;
    ctx.globalAlpha = shown ? 0.25 + 0.75 * Math.abs(v) / top : 1;
    ctx.lineWidth = shown ? 0.4 + 5 * Math.abs(v) / top : 0.5;
    ctx.setLineDash(shown ? [] : [3, 3]);
    ctx.beginPath(); ctx.moveTo(a.x + BOX, a.y + BOX / 2); ctx.lineTo(b.x, b.y + BOX / 2); ctx.stroke();
  })));
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);

  // column heads and +/− neuron buttons on hidden layers
  ctx.font = "11px system-ui, sans-serif"; ctx.fillStyle = "#666";
  sizes.forEach((n, c) => {
    const x = pos[c][0].x;
    const head = c === 0 ? "input x" : c === sizes.length - 1
      ? (frame.multi ? "output: z, p = softmax(z)" : `output (${frame.activations[c - 1]})`)
      : `layer ${c}: ${n} ${frame.activations[c - 1]}`;
    ctx.fillText(head, x - 6, TOP - 14);
    if (c > 0 && c < sizes.length - 1 && arch !== "off") {
      ctx.globalAlpha = arch === "dim" ? 0.45 : 1;  // the opacity of body.lesson .hidden-control
      [["+", 1], ["−", -1]].forEach(([t, d], i) => {
        const bx = x + i * 24, by = TOP - 8;
        ctx.strokeStyle = "#aaa"; ctx.lineWidth = 1; ctx.strokeRect(bx, by, 20, 18);
        ctx.fillStyle = "#333"; ctx.fillText(t, bx + 6, by + 13); ctx.fillStyle = "#666";
        hit.buttons.push({x: bx, y: by, w: 20, h: 18, layer: c - 1, delta: d, dim: arch === "dim"});
      });
      ctx.globalAlpha = 1;
    }
  });

  // neurons
  const g = frame.grid;
  sizes.forEach((n, c) => pos[c].forEach((p, j) => {
    if (c === 0) {  // the input coordinate itself over the plane
      const vals = new Array(g * g);
      for (let r = 0; r < g; r++) for (let q = 0; q < g; q++) vals[r * g + q] = j === 0 ? (2 * q / (g - 1) - 1) : (1 - 2 * r / (g - 1));
      heatmap(ctx, vals, g, p.x, p.y, BOX, BOX);
    } else if (c < sizes.length - 1) {
      heatmap(ctx, frame.heatmaps[c - 1][j], g, p.x, p.y, BOX, BOX);
    } else if (frame.multi) {  // one logit per class: its value over the plane, and the class's colour
      heatmap(ctx, frame.heatmaps[c - 1][j], g, p.x, p.y, BOX, BOX);
      ctx.fillStyle = CLASS_HEX[j]; ctx.fillRect(p.x + BOX + 4, p.y, 8, BOX);
      ctx.font = "11px system-ui, sans-serif"; ctx.fillText(`class ${j}`, p.x + BOX + 14, p.y + 10);
    } else {
      heatmap(ctx, frame.boundary, g, p.x, p.y, BOX, BOX);
    }
    const focused = (focus && focus.c === c && focus.j === j) || (walk && walk.at && walk.at[1] === c - 1 && walk.at[2] === j);
    ctx.strokeStyle = focused ? "#000" : "#888"; ctx.lineWidth = focused ? 2 : 1;
    ctx.strokeRect(p.x, p.y, BOX, BOX);
    ctx.font = "10px ui-monospace, monospace"; ctx.fillStyle = "#222";
    const lines = c === 0 ? [`x${j + 1} = ${fmt(s.x[j])}`]
      : [`z ${fmt(s.z[c - 1][j])}`, `a ${fmt(s.a[c - 1][j])}`, `δ ${deltaText(c - 1, j)}`];
    if (frame.multi && c === sizes.length - 1) lines[1] = `p ${fmt(s.probs[j])}`;  // a = z (linear): show softmax
    lines.forEach((t, i) => ctx.fillText(t, p.x - 2, p.y + BOX + 12 + 11 * i));
    hit.neurons.push({x: p.x, y: p.y, w: BOX, h: BOX, c, j});
  }));
  return hit;
}

// δ of neuron j in column c (c ≥ 1) as the chain-rule sum, with the engine's numbers. Names carry the layer
// and the neuron, as the exercise's do: δ2[1] is neuron 1 of layer 2, W3[2,1] the weight from it to neuron 2.
export function chainRule(frame, c, j) {
  const s = frame.sample, l = c - 1, act = frame.activations[l];
  const d = s.delta[l][j], gp = s.gprime[l][j], me = `δ${c}[${j + 1}]`;
  if (c === frame.sizes.length - 1) {
    if (s.probs) {  // softmax cross-entropy: δ = ∂L/∂z = softmax(z) − one-hot(label)
      return [`output neuron ${j + 1} (class ${j}), sample #${s.index} (label ${s.label})`,
        `loss ℓ = −log softmax(z)[${s.label}] = ${fmt(s.data_loss)}` + penaltyNote(s),
        `${me} = softmax(z)[${j}] − [${j} = label]`,
        `  = ${fmt(s.probs[j])} − ${j === s.label ? 1 : 0}`,
        `  = ${fmt(d)}`].join("\n");
    }
    return [`output neuron, sample #${s.index} (label ${s.label}, target ${fmt(s.target)})`,
      `loss ℓ = ${fmt(s.data_loss)}` + penaltyNote(s),
      `${me} = ∂L/∂a · g'(z)    (g = ${act})`,
      `  = ${fmt(s.dL_dout[j])} × ${fmt(gp)}`,
      `  = ${fmt(d)}`].join("\n");
  }
  const n = c + 1;
  const out = [`layer ${c}, neuron ${j + 1}, sample #${s.index}`,
    `${me} = g'(z) · Σₖ W${n}[k,${j + 1}] · δ${n}[k]    (g = ${act}, z = ${fmt(s.z[l][j])})`,
    `g'(z) = ${fmt(gp)}`, `Σ over the ${s.terms[l][j].length} neurons k of layer ${n}:`];
  let sum = 0;
  for (const [k, w, dk] of s.terms[l][j]) {
    sum += w * dk;
    out.push(`  W${n}[${k + 1},${j + 1}] · δ${n}[${k + 1}] = ${fmt(w)} × ${fmt(dk)} = ${fmt(w * dk)}`);
  }
  out.push(`  sum = ${fmt(sum)}`, `${me} = ${fmt(gp)} × ${fmt(sum)} = ${fmt(d)}`);
  return out.join("\n");
}

// with L2 (λ > 0) the sample's L = ℓ + λ/2·Σw²: the penalty adds nothing to δ (it does not depend on z)
function penaltyNote(s) {
  return s.l2 > 0 ? `;  L = ℓ + λ/2·Σw² = ${fmt(s.data_loss)} + ${fmt(s.penalty)} = ${fmt(s.loss)} (δ: the same)` : "";
}

// ∂L/∂W row k of layer l+1 (and ∂L/∂b_k) for the selected sample: δ_k times the previous layer's a (+ λ w with L2).
export function weightGrads(frame, l, k) {
  const s = frame.sample, prev = l === 0 ? s.x : s.a[l - 1], name = l === 0 ? "x" : `a${l}`, L = l + 1, K = k + 1;
  const l2 = s.l2 > 0, pen = l2 ? ` + λ · W${L}[${K},j]` : "";
  const out = [`layer ${L}, neuron ${K}: ∂L/∂W${L}[${K},j] = δ${L}[${K}] · ${name}[j]${pen}   and   ∂L/∂b${L}[${K}] = δ${L}[${K}]`];
  prev.forEach((aj, j) => out.push(`  ∂L/∂W${L}[${K},${j + 1}] = ${fmt(s.delta[l][k])} × ${fmt(aj)}` +
    (l2 ? ` + ${fmt(s.l2)} × ${fmt(frame.W[l][k][j])}` : "") + ` = ${fmt(s.dW[l][k][j])}`));
  out.push(`  ∂L/∂b${L}[${K}] = ${fmt(s.db[l][k])}` + (l2 ? "   (biases are not penalised)" : ""));
  return out.join("\n");
}

// the selected sample in one line: its index, label (and class name), and loss (with L2: ℓ + λ/2·Σw² = L)
export function sampleSummary(s, classes = []) {
  const name = classes[s.label] !== undefined && !/^class \d+$/.test(classes[s.label]) ? ` ${classes[s.label]}` : "";
  const loss = s.l2 > 0 ? `loss ℓ ${fmt(s.data_loss)} + λ/2·Σw² ${fmt(s.penalty)} = L ${fmt(s.loss)}` : `loss ${fmt(s.loss)}`;
  return `#${s.index} (label ${s.label}${name}, ${loss})`;
}

// what the edges show: the weights, or ∂L/∂w of the selected sample (with L2: δ·a + λw)
export function edgeLegend(s, grad, walking) {
  if (!grad) return `the weights: <span class="pos">orange w &gt; 0</span>, <span class="neg">purple w &lt; 0</span>, width ∝ |w|.`;
  return `∂L/∂w for sample #${s.index}${s.l2 > 0 ? " (δ·a + λw: with the L2 term)" : ""}: ` +
    `<span class="pos">orange &gt; 0</span>, <span class="neg">purple &lt; 0</span>, width ∝ |∂L/∂w|` +
    (walking ? "; grey dashed edges and δ …: not computed yet." : ".");
}

// what an exercise hides from a δ caption (layer c, reading layer c+1's δ) or a ∂L/∂W caption (layer l+1)
export function hiddenBy(quiz, kind, l) {
  if (kind === "delta") return quiz.includes(`delta${l + 1}`) || quiz.includes(`delta${l + 2}`);
  return ["delta", "dW", "db"].some(k => quiz.includes(k + (l + 1)));
}

export function at(hit, list, x, y) {
  return hit[list].find(b => x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h);
}

export { color };
