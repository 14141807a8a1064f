// The settings panel, built from the server's state table (GET /api/table): one control per field.
// The page never validates: it sends {type: "set", name, value} and shows what the server answers.

const PANEL = ["dataset", "iris_x", "iris_y", "iris_class", "classes", "n_points", "noise", "test_fraction", "seed",
  "activation", "loss", "optimizer", "lr", "batch_size", "l2", "steps_per_frame", "grid"];

const NAMES = {
  bce: "binary cross-entropy (logits)", mse: "MSE (tanh output, ±1)", hinge: "hinge (±1)", logistic: "logistic (±1)",
  softmax_ce: "softmax cross-entropy", all: "all 3 classes",
  sgd: "SGD", momentum: "SGD + momentum 0.9", adam: "Adam",
};

export function buildControls(root, table, send, onHide) {
  const inputs = {};
  for (const f of table) {
    if (!PANEL.includes(f.name)) continue;
    const box = document.createElement("div");
    box.className = "field"; box.dataset.name = f.name;
    const label = document.createElement("label");
    label.textContent = f.label;
    const hide = document.createElement("span");
    hide.className = "hide-box";
    hide.innerHTML = `<input type="checkbox"> hide`;
    hide.querySelector("input").addEventListener("change", e => onHide(f.name, e.target.checked));
    label.appendChild(hide);
    let input;
    if (f.kind === "choice") {
      input = document.createElement("select");
      for (const c of f.choices) {
        const o = document.createElement("option");
        o.value = c; o.textContent = NAMES[c] || c.replace(/_/g, " ");
        input.appendChild(o);
      }
    } else {
      input = document.createElement("input");
      input.type = "number";
      input.min = f.lo; input.max = f.hi;
      input.step = f.kind === "int" ? 1 : "any";
    }
    input.id = "ctl-" + f.name;
    input.addEventListener("change", () => send({type: "set", name: f.name, value: input.value}));
    box.append(label, input);
    root.appendChild(box);
    inputs[f.name] = {input, box, hide: hide.querySelector("input")};
  }
  return inputs;
}

// The controls outside the panel (elements with data-hide="name": the run buttons, the architecture buttons, the
// ∂L/∂w toggle, the backward-step buttons, the exercise's checkboxes): each gets a "hide" box for lesson mode.
export function hideBoxes(onHide, root = document) {
  for (const el of root.querySelectorAll("[data-hide]")) {
    if (el.querySelector(":scope > .hide-box")) continue;  // the exercise's pick row is rebuilt: add it once each
    const hide = document.createElement("label");
    hide.className = "hide-box";
    hide.innerHTML = `<input type="checkbox"> hide`;
    hide.querySelector("input").addEventListener("change", e => onHide(el.dataset.hide, e.target.checked));
    el.appendChild(hide);
  }
}

export function showHidden(hidden, root = document) {
  for (const el of root.querySelectorAll("[data-hide]")) {
    const isHidden = hidden.includes(el.dataset.hide);
    el.classList.toggle("hidden-control", isHidden);
    const box = el.querySelector(":scope > .hide-box input");
    if (box) box.checked = isHidden;
  }
}

// classes: the run's class names; with more than two, the one-output losses are greyed out in the loss menu
export function showState(inputs, state, hidden, classes = null) {
  for (const [name, c] of Object.entries(inputs)) {
    if (c.input.getRootNode().activeElement !== c.input) c.input.value = String(state[name]);
    const isHidden = hidden.includes(name);
    c.box.classList.toggle("hidden-control", isHidden);
    c.hide.checked = isHidden;
  }
  const iris = state.dataset === "iris";
  for (const n of ["iris_x", "iris_y", "iris_class"]) inputs[n]?.box.classList.toggle("unused", !iris);
  inputs.classes?.box.classList.toggle("unused", state.dataset !== "blobs");
  inputs.n_points?.box.classList.toggle("unused", iris || state.dataset === "csv");
  const k = classes ? classes.length : 2;
  for (const o of inputs.loss?.input.options || []) {
    o.disabled = k > 2 && o.value !== "softmax_ce";
    o.title = o.disabled ? `one output for two classes; this data has ${k}: use softmax cross-entropy` : "";
  }
}

// what an uploaded CSV became: rows, the plane's two features, the classes (label value -> class index)
export function csvSummary(info) {
  const k = info.classes.length;
  return `${info.rows} rows; x₁ = ${info.features[0]}, x₂ = ${info.features[1]}; ${k} classes: ` +
    info.classes.map((c, i) => `${i} = ${c}`).join(", ") + (k > 2 ? " (softmax cross-entropy)" : "");
}
