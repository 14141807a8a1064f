// The page of `deltagrad playground`: main.js over one WebSocket to the server, the settings in the URL hash.
import { start } from "./main.js";

// this tab's id: its uploaded CSV is its own (the server keeps one table per id)
const TAB = Array.from(crypto.getRandomValues(new Uint8Array(12)), b => b.toString(16).padStart(2, "0")).join("");

function socketTransport() {
  let ws = null;
  const hello = () => ({type: "hello", hash: location.hash, session: TAB});
  const send = msg => { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); };
  return {
    table: async () => (await fetch("/api/table")).json(),
    connect({onMessage, onClose}) {  // called after the table's await, so "open" cannot fire unheard
      ws = new WebSocket(`ws://${location.host}/ws`);
      ws.addEventListener("open", () => send(hello()));
      ws.addEventListener("close", () => onClose("the connection to the playground server is closed; restart " +
        "`deltagrad playground` and reload"));
      ws.addEventListener("message", ev => onMessage(JSON.parse(ev.data)));
      window.addEventListener("hashchange", () => send(hello()));
    },
    send,
    showHash(hash) {
      history.replaceState(null, "", "#" + hash);
      document.getElementById("share").href = "#" + hash;
    },
    shareText: () => location.href,
    async upload(text, target) {
      const r = await fetch(`/api/csv?session=${TAB}&target=` + encodeURIComponent(target), {method: "POST", body: text,
        headers: {"Content-Type": "text/csv"}});
      return [r.ok, await r.json()];
    },
  };
}

const view = await start({root: document, page: document.body, transport: socketTransport()});
view.tab = TAB;
