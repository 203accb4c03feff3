/// The dashboard at `GET /`: one self-contained page (no outside assets, so it works with no internet access) that
/// polls `/api/v1/status` and `/api/v1/events` every 2 s. Endpoint rows carry `data-endpoint` and `data-status` so
/// that tests (and scripts) can read them.
enum Dashboard {
    static let page = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>edgetm</title>
        <style>
          body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
          header { background: #1d2330; color: #fff; padding: 10px 16px; display: flex; flex-wrap: wrap; gap: 12px; }
          header b { font-size: 16px; }
          main { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 16px; padding: 16px; }
          @media (max-width: 800px) { main { grid-template-columns: 1fr; } }
          section.profile { background: #fff; border-radius: 6px; padding: 10px 12px; margin-bottom: 12px;
                            box-shadow: 0 1px 2px rgba(0,0,0,.08); }
          h2 { font-size: 15px; margin: 0 0 4px; }
          .meta { color: #5a6275; font-size: 12px; margin-bottom: 6px; word-break: break-word; }
          table { width: 100%; border-collapse: collapse; }
          td { padding: 3px 4px; border-top: 1px solid #eef0f4; vertical-align: middle; font-size: 13px; }
          .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; }
          .status-Online .dot, .status-Unmonitored .dot { background: #1e9e4a; }
          .status-Degraded .dot { background: #d93025; }
          .status-CheckingEndpoint .dot { background: #f2a600; }
          .status-Disabled .dot, .status-Inactive .dot, .status-Stopped .dot { background: #9aa0aa; }
          .answered td:first-child { font-weight: 600; }
          .failopen { color: #d93025; font-weight: 600; }
          svg { vertical-align: middle; }
          #timeline { list-style: none; padding: 0; margin: 0; background: #fff; border-radius: 6px;
                      box-shadow: 0 1px 2px rgba(0,0,0,.08); max-height: 80vh; overflow: auto; }
          #timeline li { padding: 6px 10px; border-top: 1px solid #eef0f4; font-size: 12px; }
          #timeline time { color: #5a6275; display: block; }
          #error { color: #ffb4ab; }
        </style>
        </head>
        <body>
        <header><b>edgetm</b><span id="zone"></span><span id="updated"></span><span id="error"></span></header>
        <main>
          <div id="profiles"></div>
          <div><h2>Events</h2><ul id="timeline"></ul></div>
        </main>
        <script>
        "use strict";
        const latencies = new Map();
        let lastSequence = 0;

        function el(tag, attributes, ...children) {
          const node = document.createElement(tag);
          for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
          for (const child of children) node.append(child);
          return node;
        }

        function sparkline(values) {
          const width = 80, height = 18, max = Math.max(1, ...values);
          const points = values.map((v, i) =>
            `${(i * width / Math.max(1, values.length - 1)).toFixed(1)},${(height - v / max * (height - 2) - 1).toFixed(1)}`);
          const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
          svg.setAttribute("width", width); svg.setAttribute("height", height);
          const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
          line.setAttribute("points", points.join(" ")); line.setAttribute("fill", "none");
          line.setAttribute("stroke", "#3b6fd8"); line.setAttribute("stroke-width", "1.5");
          svg.append(line);
          return svg;
        }

        function since(date) { return date ? new Date(date).toLocaleTimeString() : "-"; }

        function render(status) {
          document.getElementById("zone").textContent =
            `${status.zone} · ${status.profiles.length} profiles · generation ${status.generation}`;
          const container = document.getElementById("profiles");
          container.replaceChildren(...status.profiles.map(profile => {
            const rows = profile.endpoints.map(endpoint => {
              const key = `${profile.name}/${endpoint.name}`;
              const history = latencies.get(key) || [];
              if (endpoint.latencyMilliseconds != null) history.push(endpoint.latencyMilliseconds);
              latencies.set(key, history.slice(-30));
              const answered = profile.answer.split(",").includes(endpoint.name);
              return el("tr", { "class": `status-${endpoint.status}${answered ? " answered" : ""}`,
                                "data-endpoint": key, "data-status": endpoint.status },
                el("td", {}, el("span", { "class": "dot" }), endpoint.name),
                el("td", {}, endpoint.child ? `→ ${endpoint.child}` : endpoint.target),
                el("td", {}, endpoint.status + (endpoint.admin ? ` (${endpoint.admin})` : "")),
                el("td", {}, `since ${since(endpoint.since)}`),
                el("td", {}, endpoint.lastResult || "-"),
                el("td", {}, sparkline(latencies.get(key))));
            });
            return el("section", { "class": "profile", "data-profile": profile.name },
              el("h2", {}, `${profile.name} `, profile.failOpen ? el("span", { "class": "failopen" }, "fail-open") : ""),
              el("div", { "class": "meta" },
                `${profile.fqdn} · ${profile.method} · ${profile.status} · answer ${profile.answer} · ${profile.reason}`),
              el("table", {}, ...rows));
          }));
        }

        function addEvents(events) {
          const list = document.getElementById("timeline");
          for (const event of events) {
            lastSequence = Math.max(lastSequence, event.sequence);
            const what = [event.profile, event.endpoint].filter(Boolean).join("/");
            const change = [event.from, event.to].filter(Boolean).join(" → ");
            list.prepend(el("li", { "data-kind": event.kind, "data-sequence": event.sequence },
              el("time", {}, new Date(event.time).toLocaleString()),
              `${event.kind} ${what} ${change}${event.reason ? " (" + event.reason + ")" : ""}`));
          }
          while (list.children.length > 500) list.lastChild.remove();
        }

        async function refresh() {
          try {
            const [status, events] = await Promise.all([
              fetch("/api/v1/status").then(r => r.json()),
              fetch(`/api/v1/events?since=${lastSequence}`).then(r => r.json()),
            ]);
            render(status);
            addEvents(events.events);
            document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
            document.getElementById("error").textContent = "";
          } catch (error) {
            document.getElementById("error").textContent = `cannot reach edgetm: ${error}`;
          }
        }

        refresh();
        setInterval(refresh, 2000);
        </script>
        </body>
        </html>
        """#
}
