// The anywidget module of deltagrad.Playground: the playground's own front end (main.js and its siblings, sent
// by the kernel as text in the _modules trait) in a shadow root, talking to the kernel over the widget's comm.
// A widget's module is loaded alone, so its siblings' relative imports cannot resolve: each sibling becomes a
// blob: URL, made after the modules it imports, with its `from "./x.js"` rewritten to x.js's blob: URL.

const IMPORT = /from\s+"\.\/([\w-]+\.js)"/g;
const linked = new Map();  // the sources' text -> their URLs: one set of modules per page, shared by the widgets

export function link(sources) {
  const key = JSON.stringify(sources);
  if (linked.has(key)) return linked.get(key);
  const urls = {}, busy = new Set();
  const make = name => {
    if (urls[name]) return urls[name];
    if (!(name in sources)) throw new Error(`deltagrad playground: no module ${name} among ${Object.keys(sources)}`);
    if (busy.has(name)) throw new Error(`deltagrad playground: ${name} imports itself through others`);
    busy.add(name);
    const text = sources[name].replace(IMPORT, (_, dep) => `from "${make(dep)}"`);
    urls[name] = URL.createObjectURL(new Blob([text], {type: "text/javascript"}));
    return urls[name];
  };
  Object.keys(sources).forEach(make);
  linked.set(key, urls);
  return urls;
}

function commTransport(model, root) {
  const listeners = [];
  const onCustom = msg => listeners.forEach(f => f(msg));
  model.on("msg:custom", onCustom);
  return {
    table: async () => model.get("_table"),
    connect({onMessage}) {
      listeners.push(onMessage);
      model.send({type: "hello"});  // the kernel answers with its current state, data and frame
    },
    send: msg => model.send(msg),
    showHash(hash) {
      const a = root.getElementById("share");
      a.href = "#" + hash;
      a.title = "these settings as a URL hash: Playground(hash=...) in Python, or after # in deltagrad playground";
    },
    shareText: () => root.getElementById("share").getAttribute("href").slice(1),
    upload: null,  // a CSV comes from Python: Playground(model, X, y)
    close() {  // the view is gone (its output cleared, the cell run again): the kernel stops playing for it
      model.off("msg:custom", onCustom);
      model.send({type: "pause"});
    },
  };
}

async function render({model, el}) {
  const urls = link(model.get("_modules"));
  const {start} = await import(urls["main.js"]);
  const host = document.createElement("div");
  host.className = "deltagrad-playground";
  el.appendChild(host);
  const root = host.attachShadow({mode: "open"});
  const style = document.createElement("style");  // the page's stylesheet, its body rules on the widget's top div
  style.textContent = model.get("_style").replace(/\bbody\b/g, ".page") + model.get("_extra_style");
  const page = document.createElement("div");
  page.className = "page widget";
  page.innerHTML = model.get("_html");
  root.append(style, page);
  const transport = commTransport(model, root);
  const view = await start({root, page, transport});
  host.playground = view;
  return () => transport.close();
}

export default { render };
