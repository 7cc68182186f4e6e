// Renders /cluster-info/snapshot.json. Every value is written with textContent, never as HTML,
// so nothing in the cluster (event messages, names) can inject markup into the page.
"use strict";

function cell(row, value) {
  const td = document.createElement("td");
  td.textContent = value === null || value === undefined ? "" : String(value);
  row.appendChild(td);
  return td;
}

function fillTable(id, items, columns) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  for (const item of items) {
    const row = document.createElement("tr");
    for (const column of columns) cell(row, column(item));
    if (item.healthy === false || item.ready === false) row.className = "unhealthy";
    body.appendChild(row);
  }
}

function renderLinks(config) {
  const nav = document.getElementById("links");
  const links = [
    { title: "Logging", url: "/logging", description: "Grafana: logs and Kubernetes events (Loki)" },
    { title: "Infrastructure", url: "/infra", description: "Grafana: cluster metrics (Prometheus)" },
    ...(config.links || []),
  ];
  for (const link of links) {
    // Only same-host paths and https URLs (values.schema.json enforces the same).
    if (!/^(\/|https:\/\/)/.test(link.url)) continue;
    const a = document.createElement("a");
    a.href = link.url;
    a.textContent = link.title;
    if (link.description) a.title = link.description;
    nav.appendChild(a);
  }
  if (config.title) {
    document.getElementById("title").textContent = config.title;
    document.title = config.title;
  }
}

function renderSummary(snapshot) {
  const s = snapshot.summary;
  const section = document.getElementById("summary");
  section.replaceChildren();
  const facts = [
    ["Kubernetes", snapshot.cluster.version],
    ["Nodes ready", `${s.readyNodes} / ${s.nodes}`],
    ["Workloads unhealthy", `${s.unhealthyWorkloads} / ${s.workloads}`],
    ["Pods", s.pods],
    [`Warnings (${snapshot.eventsWindowMinutes} min)`, s.warningEvents],
  ];
  for (const [label, value] of facts) {
    const div = document.createElement("div");
    const strong = document.createElement("strong");
    strong.textContent = String(value);
    div.append(strong, document.createTextNode(` ${label}`));
    section.appendChild(div);
  }
}

async function load() {
  const status = document.getElementById("status");
  try {
    const config = await (await fetch("config.json", { cache: "no-cache" })).json();
    renderLinks(config);
  } catch (err) {
    console.warn("no front-page config", err);
  }
  try {
    const response = await fetch("snapshot.json", { cache: "no-cache" });
    if (response.status === 404) {
      status.textContent = "No snapshot yet: the collector writes the first one within its schedule.";
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const snapshot = await response.json();
    renderSummary(snapshot);
    fillTable("nodes", snapshot.nodes, [
      (n) => n.name, (n) => (n.ready ? "yes" : "no"), (n) => n.nodeGroup, (n) => n.capacityType,
      (n) => n.instanceType, (n) => n.zone, (n) => n.kubeletVersion,
    ]);
    fillTable("workloads", snapshot.workloads, [
      (w) => w.namespace, (w) => w.kind, (w) => w.name,
      (w) => (w.kind === "CronJob" ? (w.suspended ? "suspended" : w.schedule) : `${w.ready}/${w.desired}`),
      (w) => (w.images || []).join(", "),
    ]);
    fillTable("events", snapshot.events, [
      (e) => e.lastSeen, (e) => e.namespace, (e) => e.object, (e) => e.reason, (e) => e.count, (e) => e.message,
    ]);
    status.textContent = `Snapshot taken ${snapshot.generatedAt}.`;
  } catch (err) {
    status.textContent = `The snapshot could not be read (${err.message}).`;
  }
}

document.addEventListener("DOMContentLoaded", load);
