// The Kubeboard front page: the cluster snapshot (/cluster-info/snapshot.json), the error-log reports
// (views/reports/index.json) and the image vulnerabilities (views/images/index.json), each a view
// chosen by the URL's fragment. Every value is written with textContent, never as HTML, so nothing
// in the cluster, the logs or the scan findings can inject markup into the page; a report's own
// HTML is shown only in a sandboxed frame, and links are followed only when they are https/http.
"use strict";

const PAGE_ROWS = 200;
const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];
const REPORT_FILE = /^files\/[a-z0-9-]+\/\d{4}\/\d\d\/\d\d\/\d{4}\.(html|json)$/;
const IMAGE_FILE = /^files\/[a-z0-9._/-]+\/sha256-[0-9a-f]{64}\.json$/;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function cell(row, value, className) {
  const td = el("td", value === null || value === undefined ? "" : value, className);
  row.appendChild(td);
  return td;
}

function fillTable(id, items, columns) {
  const body = document.querySelector(`#${id} tbody`);
  const rows = document.createDocumentFragment();
  for (const item of items) {
    const row = document.createElement("tr");
    for (const column of columns) cell(row, column(item));
    if (item.healthy === false || item.ready === false) row.className = "unhealthy";
    rows.appendChild(row);
  }
  body.replaceChildren(rows);
}

function safeLink(url, label) {
  // Only https/http links from data (scan findings), opened without a referrer or opener.
  if (typeof url !== "string" || !/^https?:\/\/[^\s"'<>\\]+$/.test(url)) return el("span", label);
  const a = el("a", label);
  a.href = url;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

function shortTime(iso) {
  if (typeof iso !== "string" || !iso) return "";
  return iso.replace("T", " ").replace(/:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/, "");
}

function cards(id, facts) {
  const section = document.getElementById(id);
  const fragment = document.createDocumentFragment();
  for (const [label, value, className] of facts) {
    const div = el("div", null, className);
    div.append(el("strong", value), document.createTextNode(` ${label}`));
    fragment.appendChild(div);
  }
  section.replaceChildren(fragment);
}

function fillSelect(id, values) {
  const select = document.getElementById(id);
  const keep = select.value;
  const options = [el("option", "all")];
  options[0].value = "";
  for (const value of values) {
    const option = el("option", value);
    option.value = value;
    options.push(option);
  }
  select.replaceChildren(...options);
  if (values.includes(keep)) select.value = keep;
}

async function fetchJson(path) {
  const response = await fetch(path, { cache: "no-cache" });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

// --- navigation ------------------------------------------------------------------------------------

const loaders = {};
const loaded = new Set();

function showView() {
  const name = (location.hash || "#cluster").slice(1).split("/")[0];
  const view = ["cluster", "reports", "images"].includes(name) ? name : "cluster";
  for (const section of document.querySelectorAll("section.view")) {
    section.hidden = section.id !== `view-${view}`;
  }
  for (const link of document.querySelectorAll("#views a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!loaded.has(view)) {
    loaded.add(view);
    loaders[view]();
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
    const a = el("a", link.title);
    a.href = link.url;
    if (link.description) a.title = link.description;
    nav.appendChild(a);
  }
  if (config.title) {
    document.getElementById("title").textContent = config.title;
    document.title = config.title;
  }
}

// --- the cluster snapshot --------------------------------------------------------------------------

loaders.cluster = async function loadCluster() {
  const status = document.getElementById("status");
  try {
    const snapshot = await fetchJson("snapshot.json");
    if (snapshot === null) {
      status.textContent = "No snapshot yet: the collector writes the first one within its schedule.";
      return;
    }
    const s = snapshot.summary;
    cards("summary", [
      ["Kubernetes", snapshot.cluster.version],
      ["Nodes ready", `${s.readyNodes} / ${s.nodes}`],
      ["Workloads unhealthy", `${s.unhealthyWorkloads} / ${s.workloads}`],
      ["Pods", s.pods],
      [`Warnings (${snapshot.eventsWindowMinutes} min)`, s.warningEvents],
    ]);
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
};

// --- error-log reports -----------------------------------------------------------------------------

const reportState = { index: null, shown: PAGE_ROWS };

function openReport(report) {
  if (!REPORT_FILE.test(report.html)) return;
  const viewer = document.getElementById("report-viewer");
  const path = `views/reports/${report.html}`;
  document.getElementById("report-viewer-title").textContent =
    `Report ${report.namespace} ${shortTime(report.start)}`;
  document.getElementById("report-frame").src = path;
  document.getElementById("report-viewer-tab").href = path;
  document.getElementById("report-viewer-json").href = `views/reports/${report.json}`;
  viewer.hidden = false;
  viewer.scrollIntoView({ block: "nearest" });
}

// "Show more" appends the next rows; a new filter starts the table over.
function renderReports(append = false) {
  const index = reportState.index;
  const filter = document.getElementById("report-filter").value;
  const matching = filter ? index.reports.filter((r) => r.namespace === filter) : index.reports;
  const body = document.querySelector("#reports tbody");
  const from = append ? body.rows.length : 0;
  const shown = matching.slice(0, reportState.shown);
  const rows = document.createDocumentFragment();
  for (const report of shown.slice(from)) {
    const row = document.createElement("tr");
    cell(row, shortTime(report.start), "time");
    cell(row, report.namespace);
    cell(row, report.errors, report.errors > 0 ? "num bad" : "num");
    cell(row, report.groups, "num");
    cell(row, report.malformed, "num");
    const top = report.top && report.top[0];
    const topCell = cell(row, top ? `${top.count}× ` : "", "wide");
    if (top) topCell.appendChild(el("code", top.signature));
    const actions = cell(row, "", "actions");
    if (REPORT_FILE.test(report.html)) {
      const open = el("button", "Open");
      open.type = "button";
      open.addEventListener("click", () => openReport(report));
      actions.appendChild(open);
    }
    if (REPORT_FILE.test(report.json)) {
      const json = el("a", "JSON");
      json.href = `views/reports/${report.json}`;
      json.target = "_blank";
      json.rel = "noopener noreferrer";
      actions.appendChild(json);
    }
    rows.appendChild(row);
  }
  if (append) body.appendChild(rows);
  else body.replaceChildren(rows);
  document.getElementById("report-count").textContent = `${shown.length} of ${matching.length} reports`;
  document.getElementById("reports-more").hidden = shown.length >= matching.length;
}

loaders.reports = async function loadReports() {
  const status = document.getElementById("reports-status");
  try {
    const index = await fetchJson("views/reports/index.json");
    if (index === null) {
      status.textContent = "No reports yet: the views sync copies them within its schedule.";
      return;
    }
    reportState.index = index;
    const latest = index.namespaces.reduce((sum, n) => sum + n.latestErrors, 0);
    cards("reports-summary", [
      ["namespaces", index.namespaces.length],
      ["reports listed", index.reports.length],
      ["errors in the latest windows", latest, latest > 0 ? "bad" : ""],
    ]);
    fillTable("report-namespaces", index.namespaces, [
      (n) => n.namespace, (n) => shortTime(n.latestStart), (n) => n.latestErrors, (n) => n.reports, (n) => n.errors,
    ]);
    fillSelect("report-filter", index.namespaces.map((n) => n.namespace));
    renderReports();
    status.textContent = index.configured
      ? `Copied ${index.generatedAt}; the ${index.reports.length} most recent of ${index.windowsInBucket} windows.`
      : "Error-log reports are not configured for this environment.";
  } catch (err) {
    status.textContent = `The reports could not be read (${err.message}).`;
  }
};

// --- image vulnerabilities -------------------------------------------------------------------------

const imageState = { index: null, shown: PAGE_ROWS };

function countCell(row, value, severity) {
  return cell(row, value, value > 0 ? `num sev-${severity.toLowerCase()}` : "num");
}

function otherCount(counts) {
  return Object.entries(counts || {})
    .filter(([severity]) => !SEVERITIES.includes(severity))
    .reduce((sum, [, value]) => sum + value, 0);
}

function findingsRow(image, columns) {
  const row = el("tr", null, "details");
  const td = cell(row, "");
  td.colSpan = columns;
  if (!image.top || image.top.length === 0) {
    td.textContent = "No findings.";
    return row;
  }
  const table = el("table", null, "findings");
  const head = document.createElement("tr");
  for (const title of ["Severity", "Vulnerability", "Package", "Version", "Fixed in", "Score", "Title"]) {
    head.appendChild(el("th", title));
  }
  table.appendChild(el("thead")).appendChild(head);
  const body = table.appendChild(el("tbody"));
  for (const finding of image.top) {
    const tr = document.createElement("tr");
    cell(tr, finding.severity, `sev-${finding.severity.toLowerCase()}`);
    cell(tr, "").appendChild(safeLink(finding.uri, finding.id || "(no id)"));
    cell(tr, finding.package);
    cell(tr, finding.packageVersion);
    cell(tr, finding.fixedInVersion || "none yet");
    cell(tr, finding.score === null || finding.score === undefined ? "" : finding.score.toFixed(1), "num");
    cell(tr, finding.title, "wide");
    body.appendChild(tr);
  }
  td.appendChild(table);
  if (image.findingCount > image.top.length) {
    td.appendChild(el("p", `The ${image.top.length} most severe of ${image.findingCount} findings.`, "muted"));
  }
  if (IMAGE_FILE.test(image.json)) {
    const all = el("a", "All findings (JSON)");
    all.href = `views/images/${image.json}`;
    all.target = "_blank";
    all.rel = "noopener noreferrer";
    td.appendChild(all);
  }
  return row;
}

function renderImages(append = false) {
  const index = imageState.index;
  const repository = document.getElementById("image-filter").value;
  const severe = document.getElementById("image-severe").checked;
  const matching = index.images.filter(
    (i) => (!repository || i.repository === repository) && (!severe || i.counts.CRITICAL + i.counts.HIGH > 0),
  );
  const body = document.querySelector("#images tbody");
  // Rows already there (details rows excluded) are kept when more are appended.
  const from = append ? body.querySelectorAll("tr:not(.details)").length : 0;
  const shown = matching.slice(0, imageState.shown);
  const rows = document.createDocumentFragment();
  for (const image of shown.slice(from)) {
    const row = document.createElement("tr");
    cell(row, image.repository);
    const digest = cell(row, "");
    digest.appendChild(el("code", image.digest.slice(0, 19))).title = image.digest;
    cell(row, (image.tags || []).join(", "));
    cell(row, shortTime(image.completedAt), "time");
    for (const severity of SEVERITIES) countCell(row, image.counts[severity] || 0, severity);
    cell(row, image.findingCount, "num");
    const toggle = el("button", "Show");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") === "true";
      if (open) {
        row.nextSibling.remove();
      } else {
        row.after(findingsRow(image, row.children.length));
      }
      toggle.setAttribute("aria-expanded", String(!open));
      toggle.textContent = open ? "Show" : "Hide";
    });
    cell(row, "", "actions").appendChild(toggle);
    rows.appendChild(row);
  }
  if (append) body.appendChild(rows);
  else body.replaceChildren(rows);
  document.getElementById("image-count").textContent = `${shown.length} of ${matching.length} images`;
  document.getElementById("images-more").hidden = shown.length >= matching.length;
}

loaders.images = async function loadImages() {
  const status = document.getElementById("images-status");
  try {
    const index = await fetchJson("views/images/index.json");
    if (index === null) {
      status.textContent = "No scan findings yet: the views sync copies them within its schedule.";
      return;
    }
    imageState.index = index;
    const totals = { CRITICAL: 0, HIGH: 0 };
    for (const image of index.images) {
      totals.CRITICAL += image.counts.CRITICAL || 0;
      totals.HIGH += image.counts.HIGH || 0;
    }
    cards("images-summary", [
      ["repositories", index.repositories.length],
      ["images", index.images.length],
      ["critical findings", totals.CRITICAL, totals.CRITICAL > 0 ? "sev-critical" : ""],
      ["high findings", totals.HIGH, totals.HIGH > 0 ? "sev-high" : ""],
    ]);
    const body = document.querySelector("#repositories tbody");
    const rows = document.createDocumentFragment();
    for (const repository of index.repositories) {
      const row = document.createElement("tr");
      cell(row, repository.repository);
      cell(row, repository.images, "num");
      for (const severity of SEVERITIES) countCell(row, repository.counts[severity] || 0, severity);
      cell(row, otherCount(repository.counts), "num");
      rows.appendChild(row);
    }
    body.replaceChildren(rows);
    fillSelect("image-filter", index.repositories.map((r) => r.repository));
    renderImages();
    status.textContent = index.configured
      ? `Copied ${index.generatedAt}; the ${index.images.length} most recently scanned of ${index.imagesInBucket} images.`
      : "Image scan findings are not configured for this environment.";
  } catch (err) {
    status.textContent = `The scan findings could not be read (${err.message}).`;
  }
};

async function start() {
  try {
    renderLinks(await (await fetch("config.json", { cache: "no-cache" })).json());
  } catch (err) {
    console.warn("no front-page config", err);
  }
  document.getElementById("report-filter").addEventListener("change", () => {
    reportState.shown = PAGE_ROWS;
    renderReports();
  });
  document.getElementById("reports-more").addEventListener("click", () => {
    reportState.shown += PAGE_ROWS;
    renderReports(true);
  });
  document.getElementById("report-viewer-close").addEventListener("click", () => {
    document.getElementById("report-viewer").hidden = true;
    document.getElementById("report-frame").removeAttribute("src");
  });
  for (const id of ["image-filter", "image-severe"]) {
    document.getElementById(id).addEventListener("change", () => {
      imageState.shown = PAGE_ROWS;
      renderImages();
    });
  }
  document.getElementById("images-more").addEventListener("click", () => {
    imageState.shown += PAGE_ROWS;
    renderImages(true);
  });
  window.addEventListener("hashchange", showView);
  showView();
}

document.addEventListener("DOMContentLoaded", start);
