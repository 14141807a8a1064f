// Canvas drawing of numbers the server computed: heatmaps over the input plane, points, loss curves.
// Nothing here computes a gradient; values arrive as JSON from deltagrad's engine.

const POS = [230, 97, 1];     // class 1, positive values (orange, as in deltagrad.viz)
const NEG = [94, 60, 153];    // class 0, negative values (purple, as in deltagrad.viz)
// k classes (softmax_ce): 0 purple and 1 orange as above, then Okabe & Ito's colour-blind-safe blue,
// bluish green, reddish purple and sky blue
export const CLASS_COLORS = [NEG, POS, [0, 114, 178], [0, 158, 115], [204, 121, 167], [86, 180, 233]];
export const CLASS_HEX = CLASS_COLORS.map(c => "#" + c.map(v => v.toString(16).padStart(2, "0")).join(""));

// value -> RGB: tanh(v) in [-1, 1] between purple, white and orange (deltagrad.viz's sign colours)
export function color(v) {
  const t = Math.tanh(v);
  const c = t >= 0 ? POS : NEG;
  const s = Math.min(1, Math.abs(t));
  return [255 + (c[0] - 255) * s, 255 + (c[1] - 255) * s, 255 + (c[2] - 255) * s];
}

// Draw a g×g grid of values (row 0 = top of the plane) into a rectangle of ctx, smoothly scaled.
export function heatmap(ctx, values, g, x, y, w, h) {
  if (!g) { ctx.fillStyle = "#eee"; ctx.fillRect(x, y, w, h); return; }  // no input plane (more than 2 inputs)
  const off = document.createElement("canvas");
  off.width = g; off.height = g;
  const octx = off.getContext("2d");
  const img = octx.createImageData(g, g);
  for (let i = 0; i < g * g; i++) {
    const [r, gg, b] = color(values[i]);
    img.data[4 * i] = r; img.data[4 * i + 1] = gg; img.data[4 * i + 2] = b; img.data[4 * i + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, x, y, w, h);
}

// softmax_ce's boundary: each cell holds c + p (predicted class c, its probability p): the colour of
// class c, from white at p = 1/k (no preference) to full at p = 1
function classMap(ctx, values, g, k, S) {
  const off = document.createElement("canvas");
  off.width = g; off.height = g;
  const octx = off.getContext("2d"), img = octx.createImageData(g, g);
  for (let i = 0; i < g * g; i++) {
    const c = Math.min(k - 1, Math.ceil(values[i]) - 1), p = values[i] - c;
    const s = Math.max(0, Math.min(1, (p - 1 / k) / (1 - 1 / k))), col = CLASS_COLORS[c];
    for (let ch = 0; ch < 3; ch++) img.data[4 * i + ch] = 255 + (col[ch] - 255) * s;
    img.data[4 * i + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, S, S);
}

export function toPixel(p, plane, size) {
  return [(p[0] + plane) / (2 * plane) * size, (plane - p[1]) / (2 * plane) * size];
}

export function drawBoundary(canvas, frame, data, selected) {
  const ctx = canvas.getContext("2d");
  const S = canvas.width;
  ctx.clearRect(0, 0, S, S);
  if (!frame.grid) {  // a learner's data with more than 2 features: no plane to draw the boundary on
    ctx.fillStyle = "#555"; ctx.font = "12px sans-serif";
    ctx.fillText(`no decision boundary: the model takes ${frame.sizes[0]} inputs, the plane shows 2`, 8, S / 2);
    return;
  }
  if (frame.multi) classMap(ctx, frame.boundary, frame.grid, data.classes.length, S);
  else heatmap(ctx, frame.boundary, frame.grid, 0, 0, S, S);
  ctx.globalAlpha = 0.18;  // soften the background so the points stand out
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, S, S);
  ctx.globalAlpha = 1;
  const dot = (p, filled) => {
    const [px, py] = toPixel(p, data.plane, S);
    const c = CLASS_COLORS[p[2]];
    ctx.beginPath(); ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
    ctx.lineWidth = 1.5;
    // a dark ring on train points: white rings read as test points where the background has the point's colour
    if (filled) { ctx.fillStyle = `rgb(${c})`; ctx.fill(); ctx.lineWidth = 1; ctx.strokeStyle = "#222"; ctx.stroke(); }
    else { ctx.fillStyle = "#fff"; ctx.fill(); ctx.strokeStyle = `rgb(${c})`; ctx.stroke(); }
  };
  data.test.forEach(p => dot(p, false));
  data.train.forEach(p => dot(p, true));
  const s = data.train[selected];
  if (s) {
    const [px, py] = toPixel(s, data.plane, S);
    ctx.beginPath(); ctx.arc(px, py, 8, 0, 2 * Math.PI);
    ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.stroke();
  }
  // axes ticks: the plane's extent
  ctx.fillStyle = "#333"; ctx.font = "10px sans-serif";
  ctx.fillText(`x₁, x₂ ∈ [−${data.plane}, ${data.plane}]`, 4, S - 4);
}

// nearest training point to a click, or -1 if none within 12 px
export function pick(canvas, data, ev) {
  const r = canvas.getBoundingClientRect();
  const mx = (ev.clientX - r.left) * canvas.width / r.width, my = (ev.clientY - r.top) * canvas.height / r.height;
  let best = -1, bd = 144;
  data.train.forEach((p, i) => {
    const [px, py] = toPixel(p, data.plane, canvas.width);
    const d = (px - mx) ** 2 + (py - my) ** 2;
    if (d < bd) { bd = d; best = i; }
  });
  return best;
}

export function drawLosses(canvas, history) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = 40, B = 16;
  ctx.clearRect(0, 0, W, H);
  if (history.length === 0) return;
  const top = Math.max(1e-9, ...history.map(h => Math.max(h[1], h[2])));
  const last = Math.max(1, history[history.length - 1][0]);
  ctx.strokeStyle = "#ccc"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(L, 4); ctx.lineTo(L, H - B); ctx.lineTo(W - 4, H - B); ctx.stroke();
  ctx.fillStyle = "#555"; ctx.font = "10px sans-serif";
  ctx.fillText(top.toPrecision(3), 2, 12); ctx.fillText("0", 28, H - B);
  ctx.fillText("step " + last, W - 60, H - 3);
  const line = (col, key) => {
    ctx.strokeStyle = col; ctx.lineWidth = 1.5; ctx.beginPath();
    history.forEach((h, i) => {
      const x = L + (W - 4 - L) * h[0] / last, y = (H - B) - (H - B - 4) * h[key] / top;
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  };
  line("#999", 2); line("#333", 1);
}
