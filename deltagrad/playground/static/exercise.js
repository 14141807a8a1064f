// Exercise mode: hide chosen quantities of the selected sample's backward pass; the learner types them;
// the server checks them with deltagrad.check's worked-example checker and exports the worked example.

const NAME = {delta: "δ", dW: "∂L/∂W", db: "∂L/∂b"};

// the quantities of a net with L weight layers, in backward order: delta, dW, db of layer L, then L-1, ...
export function quantities(L) {
  const out = [];
  for (let l = L; l >= 1; l--) for (const k of ["delta", "dW", "db"]) out.push(k + l);
  return out;
}

export function label(key) {
  const m = key.match(/^(delta|dW|db)(\d)$/);
  return `${NAME[m[1]]}${m[2]}`;
}

// the labels of a quantity's numbers, row-major, and its number of columns (∂L/∂W: n_in; δ and ∂L/∂b: 1 row)
function shape(key, sizes) {
  const m = key.match(/^(delta|dW|db)(\d)$/), l = Number(m[2]);
  if (m[1] === "dW") {
    const cols = sizes[l - 1];
    return {cols, labels: Array.from({length: sizes[l] * cols}, (_, i) => `[${Math.floor(i / cols) + 1},${i % cols + 1}]`)};
  }
  return {cols: sizes[l], labels: Array.from({length: sizes[l]}, (_, i) => `[${i + 1}]`)};
}

// Rebuild the exercise when what it asks changes (the layer sizes, the hidden quantities, L2 on or off, the classes).
// msg: the server's "state" message (sizes: the run's layer sizes, k outputs with softmax_ce; classes: their names).
export function syncExercise(root, msg, send, view) {
  const sizes = msg.sizes || [2, ...msg.state.hidden, 1], l2 = msg.state.l2 > 0, classes = msg.classes || [];
  const key = [sizes.join(), msg.state.quiz.join(), l2, msg.state.loss, classes.join()].join("|");
  if (key === view.quizKey) return;
  view.quizKey = key;
  buildExercise(root, sizes, msg.state.quiz, send, view.answers, {l2, multi: msg.state.loss === "softmax_ce", classes});
}

// opts: {l2: λ > 0, multi: one output per class (softmax cross-entropy), classes: their names}
export function buildExercise(root, sizes, quiz, send, kept, opts = {}) {
  const L = sizes.length - 1;
  root.replaceChildren();
  const pick = document.createElement("div");
  pick.className = "quiz-pick"; pick.dataset.hide = "quiz";
  pick.append("hide and answer: ");
  for (const key of quantities(L)) {
    const lab = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.checked = quiz.includes(key); box.dataset.key = key;
    box.addEventListener("change", () => {
      const next = quantities(L).filter(k => (k === key ? box.checked : quiz.includes(k)));
      send({type: "set", name: "quiz", value: next.join(",")});
    });
    lab.append(box, " " + label(key));
    pick.appendChild(lab);
  }
  root.appendChild(pick);
  const live = quiz.filter(k => quantities(L).includes(k));
  if (live.length === 0) return;
  if (opts.multi && live.some(k => k.endsWith(String(L)))) {
    const note = document.createElement("div");
    note.className = "quiz-note";
    note.textContent = `output layer ${L}: one neuron per class, p = softmax(z); δ${L} = p − y with y the label one-hot ` +
      `(1 for the sample's class, 0 for the others).`;
    root.appendChild(note);
  }
  for (const key of live) {
    const row = document.createElement("div");
    row.className = "quiz-row"; row.dataset.key = key;
    const name = document.createElement("b");
    const dataOnly = opts.l2 && key.startsWith("dW");
    name.textContent = label(key) + (dataOnly ? " of the data loss (without λW)" : "") + " =";
    if (dataOnly) name.title = "the worked example (deltagrad check) has no L2 term: type δ·aᵀ, the data loss's part";
    row.appendChild(name);
    const {cols, labels} = shape(key, sizes), out = opts.multi && (key === `delta${L}` || key === `db${L}`);
    const grid = document.createElement("span");
    grid.className = "quiz-grid"; grid.style.gridTemplateColumns = `repeat(${cols}, auto)`;
    labels.forEach((el, i) => {
      const input = document.createElement("input");
      const cls = out && opts.classes?.[i] !== undefined ? ` (class ${i}: ${opts.classes[i]})` : "";
      input.type = "text"; input.size = 7; input.title = label(key) + el + cls; input.placeholder = el;
      input.id = `ans-${key}-${i}`;
      input.value = kept[input.id] || "";
      input.addEventListener("input", () => { kept[input.id] = input.value; });
      grid.appendChild(input);
    });
    row.appendChild(grid);
    const verdict = document.createElement("span");
    verdict.className = "verdict";
    row.appendChild(verdict);
    root.appendChild(row);
  }
  const tools = document.createElement("div");
  const check = document.createElement("button"), exp = document.createElement("button");
  check.id = "quiz-check"; check.textContent = "check answers";
  exp.id = "quiz-export"; exp.textContent = "export worked example (.toml)";
  check.addEventListener("click", () => send({type: "check", answers: answers(root, live)}));
  exp.addEventListener("click", () => send({type: "export", answers: answers(root, live, true)}));
  tools.append(check, " ", exp);
  root.appendChild(tools);
}

// {key: [typed strings]}; for the export only complete quantities are included
function answers(root, keys, completeOnly = false) {
  const out = {};
  for (const key of keys) {
    const values = [...root.querySelectorAll(`.quiz-row[data-key="${key}"] input`)].map(i => i.value.trim());
    if (!completeOnly || values.every(v => v !== "")) out[key] = values;
  }
  return out;
}

export function showVerdicts(root, results) {
  for (const r of results) {
    const row = root.querySelector(`.quiz-row[data-key="${r.key}"]`);
    if (!row) continue;
    row.querySelectorAll("input").forEach((input, i) => {
      input.classList.toggle("right", !r.wrong.includes(i));
      input.classList.toggle("wrong", r.wrong.includes(i));
    });
    // the wrong boxes by their labels (∂L/∂W2[2,2]: row 2, column 2), and the checker's keys as the page's names
    const inputs = row.querySelectorAll("input"), named = t => t.replace(/\b(delta|dW|db)(\d)\b/g, k => label(k));
    const where = r.ok ? "" : ": " + r.wrong.map(i => label(r.key) + inputs[i].placeholder).join(", ");
    row.querySelector(".verdict").textContent = (r.ok ? "✓ " : "✗ ") + named(r.verdict) + where +
      (r.note ? ` (${named(r.note)})` : "");
    row.classList.toggle("ok", r.ok);
  }
}

export function download(text, filename) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], {type: "application/toml"}));
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
