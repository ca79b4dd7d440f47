// numnet playground page: draws what the server's numnet session sends, and sends back the controls.
"use strict";
const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"];
const FEATURE_LABELS = {"x1^2": "x1²", "x2^2": "x2²", "x1*x2": "x1·x2"};
// Okabe-Ito: class colours that stay apart for colour-blind readers.
const CLASS_RGB = [[230, 159, 0], [0, 114, 178], [0, 158, 115], [204, 121, 167], [86, 180, 233],
                   [213, 94, 0], [240, 228, 66], [120, 120, 120]];
const POS = [0, 114, 178], NEG = [213, 94, 0];
const MAX_LAYERS = 6, MAX_NEURONS = 16, NODE = 34;
const $ = (id) => document.getElementById(id);
const state = {ws: null, session: null, data: null, frame: null, frames: 0, fpsStart: 0, fps: 0};
window.playground = state;  // the browser tests read frame counts and the last frame here

// ---------------------------------------------------------------- connection
function connect() {
  state.ws = new WebSocket(`ws://${location.host}/ws`);
  state.ws.onmessage = (event) => handle(JSON.parse(event.data));
  state.ws.onclose = () => showError("Disconnected from the numnet server; restart `numnet playground` and reload.");
}
function send(type, extra) { state.ws.send(JSON.stringify(Object.assign({type}, extra || {}))); }
function configure(settings) { send("config", {settings}); }

function handle(message) {
  if (message.type === "hello") {
    state.session = message.session;
    $("download").href = `/api/${state.session}/model`;
    send("speed", {value: Number($("speed").value)});
  } else if (message.type === "data") {
    state.data = message;
    showSettings(message.settings);
    buildDiagram();
    drawHeatmap();
  } else if (message.type === "frame") {
    onFrame(message);
  } else if (message.type === "error") {
    showError(message.message);
  }
}

function onFrame(frame) {
  if (!state.data || frame.version !== state.data.version) return;  // a frame of the old network
  state.frame = frame;
  state.frames += 1;
  const now = performance.now();
  if (now - state.fpsStart > 1000) { state.fps = state.frames - (state.fpsFrames || 0);
    state.fpsFrames = state.frames; state.fpsStart = now; }
  $("epoch").textContent = String(frame.epoch).padStart(4, "0");
  setPlaying(frame.playing);
  updateDiagram();
  drawHeatmap();
  drawCurves();
  showScores(frame.scores);
}

// ---------------------------------------------------------------- controls
const SELECTS = ["learning_rate", "activation", "optimizer", "batch_size", "regularization", "reg_rate",
                 "dropout", "problem", "dataset"];
const NUMERIC = new Set(["learning_rate", "batch_size", "reg_rate", "dropout", "classes", "noise", "test_ratio"]);

function readControl(id) {
  const value = $(id).value;
  return NUMERIC.has(id) ? Number(value) : value;
}

function showSettings(s) {
  for (const id of SELECTS.concat(["classes", "noise", "test_ratio"])) {
    const el = $(id);
    if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value == String(s[id]))) {
      el.add(new Option(String(s[id]), String(s[id])));
    }
    el.value = String(s[id]);
  }
  $("dataset").querySelector("[value=csv]").disabled = s.dataset !== "csv";
  $("noise-value").textContent = s.noise;
  $("test-ratio-value").textContent = Math.round(s.test_ratio * 100) + "%";
  for (const box of $("features").querySelectorAll("input")) box.checked = s.features.includes(box.value);
  $("classes").disabled = s.dataset !== "spiral";
}

function setupControls() {
  for (const id of SELECTS.concat(["classes", "noise", "test_ratio"])) {
    $(id).addEventListener("change", () => {
      const change = {[id]: readControl(id)};
      if (id === "dataset") change.problem = readControl(id) === "regression" ? "regression" : "classification";
      configure(change);
    });
  }
  for (const name of FEATURES) {
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" value="${name}"> ${FEATURE_LABELS[name] || name}`;
    $("features").append(label);
  }
  $("features").addEventListener("change", () => {
    const chosen = [...$("features").querySelectorAll("input:checked")].map((b) => b.value);
    if (chosen.length === 0) { showError("Pick at least one input feature."); showSettings(state.data.settings); return; }
    configure({features: chosen});
  });
  $("play").onclick = () => send(state.frame && state.frame.playing ? "pause" : "play");
  $("step").onclick = () => send("step");
  $("reset").onclick = () => send("reset");
  $("regenerate").onclick = () => send("regenerate");
  $("speed").onchange = () => send("speed", {value: Number($("speed").value)});
  $("add-layer").onclick = () => changeLayers((h) => h.length < MAX_LAYERS && h.push(4));
  $("remove-layer").onclick = () => changeLayers((h) => h.pop());
  $("grad-colour").onchange = updateDiagram;
  $("show-test").onchange = drawHeatmap;
  $("csv").onchange = uploadCsv;
  $("show-code").onclick = showCode;
  $("copy-code").onclick = () => navigator.clipboard && navigator.clipboard.writeText($("code").textContent);
  $("close-code").onclick = () => $("code-dialog").close();
  document.addEventListener("keydown", shortcut);
}

function shortcut(event) {
  if (event.target.closest("input, select, textarea, dialog") || event.ctrlKey || event.metaKey) return;
  if (event.key === " ") { event.preventDefault(); $("play").click(); }
  else if (event.key === "s") $("step").click();
  else if (event.key === "r") $("reset").click();
}

function setPlaying(playing) {
  $("play").innerHTML = playing ? "&#10074;&#10074; Pause" : "&#9654; Play";
  $("play").setAttribute("aria-label", playing ? "Pause (space)" : "Play (space)");
}

function changeLayers(edit) {
  const hidden = state.data.settings.hidden.slice();
  edit(hidden);
  configure({hidden});
}

function changeNeurons(layer, delta) {
  const hidden = state.data.settings.hidden.slice();
  hidden[layer] = Math.min(MAX_NEURONS, Math.max(1, hidden[layer] + delta));
  configure({hidden});
}

async function uploadCsv() {
  const file = $("csv").files[0];
  if (!file) return;
  const response = await fetch(`/api/${state.session}/csv`, {method: "POST", body: file});
  if (!response.ok) showError((await response.json()).error);
  $("csv").value = "";
}

async function showCode() {
  const response = await fetch(`/api/${state.session}/code`);
  $("code").textContent = await response.text();
  $("code-dialog").showModal();
}

function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

function showScores(scores) {
  const metric = "accuracy" in scores.test ? "accuracy" : "mae";
  const f = (v) => v.toFixed(3);
  $("scores").textContent = `Training loss ${f(scores.train.loss)} · test loss ${f(scores.test.loss)} · ` +
    `test ${metric} ${f(scores.test[metric])}`;
}

// ---------------------------------------------------------------- diagram
function layout() {
  const widths = state.data.layers, box = $("diagram");
  const columnGap = Math.max(90, Math.min(150, (box.clientWidth - 60) / Math.max(1, widths.length - 1)));
  const tallest = Math.max(...widths);
  const height = 70 + tallest * (NODE + 8);
  const nodes = widths.map((n, l) => Array.from({length: n}, (_, i) => ({
    x: 20 + l * columnGap, y: 60 + i * (NODE + 8) + (tallest - n) * (NODE + 8) / 2})));
  return {nodes, width: 40 + (widths.length - 1) * columnGap + NODE, height, columnGap};
}

function buildDiagram() {
  const box = $("diagram"), data = state.data, geo = layout();
  state.geo = geo;
  box.innerHTML = "";
  box.style.height = geo.height + "px";
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", geo.width); svg.setAttribute("height", geo.height);
  state.lines = [];
  for (let l = 0; l + 1 < geo.nodes.length; l++) {
    geo.nodes[l].forEach((a, i) => geo.nodes[l + 1].forEach((b, j) => {
      const coords = {x1: a.x + NODE, y1: a.y + NODE / 2, x2: b.x, y2: b.y + NODE / 2};
      const line = svgLine(svg, coords, "weight"), hit = svgLine(svg, coords, "hit");
      hit.dataset.layer = l; hit.dataset.i = i; hit.dataset.j = j;
      hit.addEventListener("mouseenter", (e) => showWeight(e, l, i, j));
      hit.addEventListener("mouseleave", hideTooltip);
      state.lines.push({line, l, i, j});
    }));
  }
  box.append(svg);
  state.nodeCanvases = geo.nodes.map((column, l) => column.map((p, i) => addNode(box, p, l, i)));
  geo.nodes.forEach((column, l) => addLayerHead(box, column, l));
  drawInputMaps();
}

function svgLine(svg, coords, cls) {
  const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
  for (const [k, v] of Object.entries(coords)) line.setAttribute(k, v);
  line.setAttribute("class", cls);
  svg.append(line);
  return line;
}

function addNode(box, p, l, i) {
  const n = state.data.layers.length, node = document.createElement("div");
  node.className = "node";
  node.style.left = p.x + "px"; node.style.top = p.y + "px";
  node.tabIndex = 0;
  node.setAttribute("aria-label", nodeName(l, i));
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = state.data.neuron_grid;
  node.append(canvas);
  if (l === n - 1) paintOutputNode(canvas, i);
  const show = () => showNeuron(node, l, i);
  node.addEventListener("mouseenter", show); node.addEventListener("focus", show);
  node.addEventListener("mouseleave", hideTooltip); node.addEventListener("blur", hideTooltip);
  box.append(node);
  return {node, canvas};
}

function nodeName(l, i) {
  const n = state.data.layers.length;
  if (l === 0) return `input feature ${state.data.settings.features[i]}`;
  if (l === n - 1) return state.data.classes > 1 ? `output: probability of class ${i}` : "output value";
  return `hidden layer ${l}, neuron ${i + 1}`;
}

function addLayerHead(box, column, l) {
  const n = state.data.layers.length, head = document.createElement("div");
  head.className = "layer-head";
  head.style.left = column[0].x + NODE / 2 - 45 + "px"; head.style.top = "0px";
  const widths = state.data.layers;
  const shape = l > 0 ? `<code title="weights into this layer: (inputs, neurons)">W (${widths[l - 1]}, ${widths[l]})</code>` : "";
  if (l === 0) head.innerHTML = `inputs<code>X (n, ${widths[0]})</code>`;
  else if (l === n - 1) head.innerHTML = `output${shape}`;
  else {
    head.innerHTML = `<button aria-label="Remove a neuron from layer ${l}">&minus;</button> ${widths[l]} ` +
      `<button aria-label="Add a neuron to layer ${l}">+</button>${shape}`;
    const [minus, plus] = head.querySelectorAll("button");
    minus.onclick = () => changeNeurons(l - 1, -1);
    plus.onclick = () => changeNeurons(l - 1, +1);
  }
  box.append(head);
}

function updateDiagram() {
  const frame = state.frame;
  if (!frame || !state.lines) return;
  const byGradient = $("grad-colour").checked;
  const scale = maxAbs(frame.weights, byGradient ? "dW" : "W");
  for (const {line, l, i, j} of state.lines) {
    const w = frame.weights[l], k = i * w.shape[1] + j;
    const value = byGradient ? w.dW[k] : w.W[k];
    const size = Math.abs(value) / scale;
    line.setAttribute("stroke", byGradient ? rgb(mix([255, 255, 255], [40, 40, 40], size)) : rgb(value >= 0 ? POS : NEG));
    line.setAttribute("stroke-width", (0.5 + 4 * size).toFixed(2));
    line.setAttribute("stroke-opacity", (0.25 + 0.75 * size).toFixed(2));
  }
  frame.neurons.forEach((maps, h) => maps.forEach((map, i) => {
    const entry = state.nodeCanvases[h + 1][i];
    drawMap(entry.canvas, map, state.data.neuron_grid);
    markNode(entry.node, frame.markers[h][i]);
  }));
}

function markNode(node, marker) {
  node.classList.toggle("dead", marker === "dead");
  node.classList.toggle("saturated", marker === "saturated");
  let badge = node.querySelector(".badge");
  if (!marker) { if (badge) badge.remove(); return; }
  if (!badge) { badge = document.createElement("span"); badge.className = "badge"; node.append(badge); }
  badge.textContent = marker === "dead" ? "dead" : "sat";
}

function maxAbs(weights, key) {
  let m = 1e-12;
  for (const w of weights) for (const v of w[key]) m = Math.max(m, Math.abs(v));
  return m;
}

function drawInputMaps() {
  state.data.inputs.forEach((map, i) => drawMap(state.nodeCanvases[0][i].canvas, map, state.data.neuron_grid));
}

function paintOutputNode(canvas, i) {
  const g = canvas.getContext("2d");
  g.fillStyle = state.data.classes > 1 ? rgb(CLASS_RGB[i % CLASS_RGB.length]) : "#888";
  g.fillRect(0, 0, canvas.width, canvas.height);
}

// ---------------------------------------------------------------- tooltips
function showWeight(event, l, i, j) {
  if (!state.frame) return;
  const w = state.frame.weights[l], k = i * w.shape[1] + j;
  const tip = $("tooltip");
  tip.innerHTML = `<b>W[${i}, ${j}]</b> of layer ${l + 1}, shape (${w.shape.join(", ")})<br>` +
    `weight <span class="weight-value">${w.W[k]}</span><br>gradient <span class="weight-grad">${w.dW[k]}</span>`;
  placeTooltip(event.clientX + 12, event.clientY + 12);
}

function showNeuron(node, l, i) {
  const tip = $("tooltip"), rect = node.getBoundingClientRect(), n = state.data.layers.length;
  tip.innerHTML = `<b>${nodeName(l, i)}</b>`;
  const big = document.createElement("canvas");
  if (l === 0) { big.width = big.height = state.data.neuron_grid; drawMap(big, state.data.inputs[i], state.data.neuron_grid); }
  else if (l < n - 1 && state.frame) { big.width = big.height = state.data.neuron_grid;
    drawMap(big, state.frame.neurons[l - 1][i], state.data.neuron_grid);
    const marker = state.frame.markers[l - 1][i];
    if (marker) tip.insertAdjacentHTML("beforeend", `<br>${marker === "dead" ? "dead ReLU: 0 on every training point" : "saturated on most training points"}`); }
  else { big.width = big.height = state.data.grid; drawOutput(big); }
  tip.append(big);
  placeTooltip(rect.right + 10, rect.top);
}

function placeTooltip(x, y) {
  const tip = $("tooltip");
  tip.hidden = false;
  tip.style.left = Math.min(x, innerWidth - tip.offsetWidth - 8) + "px";
  tip.style.top = Math.min(y, innerHeight - tip.offsetHeight - 8) + "px";
}
function hideTooltip() { $("tooltip").hidden = true; }

// ---------------------------------------------------------------- pictures
function bytes(text) { return Uint8Array.from(atob(text), (c) => c.charCodeAt(0)); }
function rgb(c) { return `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`; }
function mix(a, b, t) { return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]; }
function diverging(t) { return t >= 0 ? mix([255, 255, 255], POS, t) : mix([255, 255, 255], NEG, -t); }

// A map of values in -1..1 (sent as 0..255): orange below zero, white at zero, blue above.
function drawMap(canvas, encoded, size) {
  const values = bytes(encoded), g = canvas.getContext("2d"), image = g.createImageData(size, size);
  for (let k = 0; k < values.length; k++) putPixel(image, k, diverging(values[k] / 127.5 - 1));
  g.putImageData(image, 0, 0);
}

function putPixel(image, k, c) {
  image.data[4 * k] = c[0]; image.data[4 * k + 1] = c[1]; image.data[4 * k + 2] = c[2]; image.data[4 * k + 3] = 255;
}

function drawOutput(canvas) {
  const out = state.frame.output, size = state.data.grid, g = canvas.getContext("2d");
  const image = g.createImageData(size, size);
  if (out.kind === "classes") {
    const classes = bytes(out.classes), confidence = bytes(out.confidence);
    for (let k = 0; k < classes.length; k++) {
      putPixel(image, k, mix([255, 255, 255], CLASS_RGB[classes[k] % CLASS_RGB.length], 0.15 + 0.7 * confidence[k] / 255));
    }
  } else {
    const values = bytes(out.values);
    for (let k = 0; k < values.length; k++) putPixel(image, k, diverging(values[k] / 127.5 - 1));
  }
  g.putImageData(image, 0, 0);
}

function drawHeatmap() {
  const canvas = $("heatmap"), g = canvas.getContext("2d"), data = state.data;
  if (!data) return;
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (state.frame && state.frame.version === data.version) {
    const small = document.createElement("canvas");
    small.width = small.height = data.grid;
    drawOutput(small);
    g.imageSmoothingEnabled = true;
    g.drawImage(small, 0, 0, canvas.width, canvas.height);
  }
  drawPoints(g, data.train, false);
  if ($("show-test").checked) drawPoints(g, data.test, true);
}

function pointColour(label) {
  const data = state.data;
  if (data.classes > 1) return rgb(CLASS_RGB[label % CLASS_RGB.length]);
  const [low, high] = data.value_range;
  return rgb(diverging(2 * (label - low) / ((high - low) || 1) - 1));
}

function drawPoints(g, part, hollow) {
  const e = state.data.extent, w = g.canvas.width;
  part.x.forEach(([x1, x2], k) => {
    const px = (x1 + e) / (2 * e) * w, py = (e - x2) / (2 * e) * w;
    g.beginPath(); g.arc(px, py, 3.2, 0, 2 * Math.PI);
    g.lineWidth = hollow ? 2 : 1;
    if (hollow) { g.strokeStyle = pointColour(part.y[k]); g.stroke(); }
    else { g.fillStyle = pointColour(part.y[k]); g.fill(); g.strokeStyle = "#fff"; g.stroke(); }
  });
}

function drawCurves() {
  const canvas = $("curves"), g = canvas.getContext("2d"), c = state.frame.curves;
  g.clearRect(0, 0, canvas.width, canvas.height);
  const all = c.train.loss.concat(c.test.loss).filter(Number.isFinite);
  const top = Math.max(...all, 1e-9), last = Math.max(1, c.train.epoch[c.train.epoch.length - 1]);
  g.fillStyle = "#5b6270"; g.font = "11px system-ui";
  g.fillText(`loss (top ${top.toFixed(2)}) over ${last} epochs`, 4, 11);
  plotLine(g, c.train, top, last, "#0072B2", []);
  plotLine(g, c.test, top, last, "#D55E00", [5, 3]);
  g.fillStyle = "#0072B2"; g.fillText("training", canvas.width - 110, 11);
  g.fillStyle = "#D55E00"; g.fillText("test - -", canvas.width - 50, 11);
}

function plotLine(g, curve, top, last, colour, dash) {
  const w = g.canvas.width, h = g.canvas.height - 16;
  g.beginPath(); g.setLineDash(dash); g.strokeStyle = colour; g.lineWidth = 2;
  curve.epoch.forEach((e, k) => {
    const x = e / last * (w - 4) + 2, y = 16 + h - curve.loss[k] / top * (h - 2);
    k ? g.lineTo(x, y) : g.moveTo(x, y);
  });
  g.stroke(); g.setLineDash([]);
}

setupControls();
connect();
