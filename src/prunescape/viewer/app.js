// prunescape landscape viewer: the controls, and one surface + contour per model.
// The data comes from the JSON block that prunescape.viewer embeds in the page.
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("landscape-data").textContent);
  const LABELS = { loss: "loss", ppl: "perplexity", acc: "accuracy" };
  const CONFIG = { displaylogo: false };
  const CONTOUR_LEVELS = 20;
  const PLAY_MS = 700;
  // a little lower and further than plotly's default, so axis titles stay inside the frame
  const DEFAULT_CAMERA = { eye: { x: 1.5, y: 1.5, z: 0.9 } };

  const experiments = new Map();
  for (const e of DATA.experiments) experiments.set(key(e.model, e.epoch, e.scale), e);

  const state = {
    models: new Set(DATA.models),
    metric: DATA.metrics[0],
    scale: 0,
    epochs: [],
    epoch: null,
    camera: null, // shared by every surface once the user turns one
    axes: { x: null, y: null }, // shared contour zoom; null = autorange
  };
  const cards = new Map(); // model -> {card, heading, surface, contour, empty, drawn, listening}
  const webgl = hasWebGL();
  const el = (id) => document.getElementById(id);
  // Columns reflow when models are toggled or a scrollbar appears, not only on window resize.
  const resizer = new ResizeObserver((entries) => {
    for (const entry of entries) {
      if (entry.target._fullLayout) Plotly.Plots.resize(entry.target);
    }
  });
  let pending = false; // a redraw is queued for the next frame
  let timer = null; // the Play loop

  function key(model, epoch, scale) {
    return model + "\u0000" + epoch + "\u0000" + scale;
  }

  function hasWebGL() {
    try {
      const gl = document.createElement("canvas").getContext("webgl");
      if (!gl) return false;
      const lose = gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext();
      return true;
    } catch (err) {
      return false;
    }
  }

  function option(value, text) {
    const o = document.createElement("option");
    o.value = String(value);
    o.textContent = text;
    return o;
  }

  function buildControls() {
    for (const model of DATA.models) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = true;
      box.value = model;
      box.addEventListener("change", () => {
        if (box.checked) state.models.add(model);
        else state.models.delete(model);
        schedule();
      });
      label.append(box, " " + model);
      el("models").append(label);
    }
    DATA.metrics.forEach((m) => el("metric").append(option(m, LABELS[m])));
    DATA.scales.forEach((s, i) => el("scale").append(option(i, String(s))));
    el("metric").addEventListener("change", (ev) => {
      state.metric = ev.target.value;
      schedule();
    });
    el("scale").addEventListener("change", (ev) => {
      state.scale = Number(ev.target.value);
      state.axes = { x: null, y: null }; // a zoom window at one scale means nothing at another
      schedule();
    });
    el("epoch").addEventListener("input", (ev) => {
      state.epoch = state.epochs[Number(ev.target.value)];
      schedule();
    });
    el("play").addEventListener("click", togglePlay);
    if (!webgl) {
      el("note").textContent =
        "3D surfaces need WebGL, which this browser does not offer: showing contour maps only.";
    }
  }

  function togglePlay() {
    if (timer !== null) return stopPlay();
    const slider = el("epoch");
    if (Number(slider.value) >= Number(slider.max)) slider.value = "0";
    el("play").textContent = "Pause";
    const step = () => {
      state.epoch = state.epochs[Number(slider.value)];
      schedule();
      if (Number(slider.value) >= Number(slider.max)) return stopPlay();
      timer = setTimeout(() => {
        slider.value = String(Number(slider.value) + 1);
        step();
      }, PLAY_MS);
    };
    step();
  }

  function stopPlay() {
    clearTimeout(timer);
    timer = null;
    el("play").textContent = "Play";
  }

  // Coalesce bursts of slider events into one redraw per frame.
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  }

  function syncEpochs() {
    const shown = DATA.models.filter((m) => state.models.has(m));
    state.epochs = DATA.epochs.filter((e) =>
      shown.some((m) => experiments.has(key(m, e, state.scale)))
    );
    const slider = el("epoch");
    if (!state.epochs.includes(state.epoch)) {
      // keep the nearest available epoch when the scale or model set changes
      const target = state.epoch === null ? -Infinity : state.epoch;
      let best = 0;
      state.epochs.forEach((e, i) => {
        if (Math.abs(e - target) < Math.abs(state.epochs[best] - target)) best = i;
      });
      state.epoch = state.epochs.length ? state.epochs[best] : null;
    }
    slider.max = String(Math.max(state.epochs.length - 1, 0));
    slider.value = String(Math.max(state.epochs.indexOf(state.epoch), 0));
    slider.disabled = state.epochs.length < 2;
    el("play").disabled = state.epochs.length < 2;
    el("epoch-label").textContent =
      state.epoch === null
        ? "no epochs"
        : `epoch ${state.epoch} (${Number(slider.value) + 1}/${state.epochs.length})`;
  }

  function makeCard(model, index) {
    const card = document.createElement("section");
    card.className = "card";
    card.dataset.model = model;
    const heading = document.createElement("h2");
    const surface = document.createElement("div");
    surface.className = "surface";
    surface.id = "surface-" + index;
    const contour = document.createElement("div");
    contour.className = "contour";
    contour.id = "contour-" + index;
    const empty = document.createElement("div");
    empty.className = "empty";
    card.append(heading, empty, surface, contour);
    return { card, heading, surface, contour, empty, drawn: false };
  }

  function best(e, metric) {
    const higher = metric === "acc";
    let found = null;
    e.z[metric].forEach((row, j) =>
      row.forEach((v, i) => {
        if (v === null) return;
        if (found === null || (higher ? v > found.v : v < found.v)) {
          found = { v, x: e.x[i], y: e.y[j] };
        }
      })
    );
    return found;
  }

  function fmt(v) {
    return Number(v.toPrecision(4)).toString();
  }

  function surfaceFigure(e, metric, limits) {
    const span = (a) => a[a.length - 1] - a[0] || 1;
    const scene = {
      xaxis: { title: { text: "x" } },
      yaxis: { title: { text: "y" } },
      zaxis: { title: { text: LABELS[metric] } },
      aspectmode: "manual",
      aspectratio: { x: 1, y: Math.min(Math.max(span(e.y) / span(e.x), 0.25), 4), z: 0.7 },
    };
    if (limits) scene.zaxis.range = limits;
    scene.camera = state.camera || DEFAULT_CAMERA;
    const trace = {
      type: "surface",
      x: e.x,
      y: e.y,
      z: e.z[metric],
      colorscale: "Viridis",
      reversescale: metric === "acc",
      showscale: false,
      hovertemplate: "x %{x}<br>y %{y}<br>" + LABELS[metric] + " %{z:.4g}<extra></extra>",
    };
    if (limits) Object.assign(trace, { cmin: limits[0], cmax: limits[1] });
    return [[trace], { margin: { l: 0, r: 0, t: 0, b: 0 }, scene }];
  }

  function contourFigure(e, metric, limits) {
    const trace = {
      type: "contour",
      x: e.x,
      y: e.y,
      z: e.z[metric],
      colorscale: "Viridis",
      reversescale: metric === "acc",
      line: { width: 0.5, color: "rgba(0,0,0,0.35)" },
      colorbar: { title: { text: LABELS[metric] }, thickness: 14 },
      hovertemplate: "x %{x}<br>y %{y}<br>" + LABELS[metric] + " %{z:.4g}<extra></extra>",
    };
    if (limits) {
      // fixed levels as well as colours, so contour lines mean the same in every frame
      const size = (limits[1] - limits[0]) / CONTOUR_LEVELS || 1;
      Object.assign(trace, {
        zmin: limits[0],
        zmax: limits[1],
        autocontour: false,
        contours: { start: limits[0], end: limits[1], size, coloring: "heatmap" },
      });
    }
    const traces = [trace];
    const inside = (a) => a[0] <= 0 && 0 <= a[a.length - 1];
    if (inside(e.x) && inside(e.y)) {
      traces.push({
        type: "scatter",
        x: [0],
        y: [0],
        mode: "markers",
        marker: { symbol: "x-thin", size: 10, line: { width: 2, color: "white" } },
        hovertemplate: "centre (0, 0)<extra></extra>",
        showlegend: false,
      });
    }
    const axis = (name) => {
      const range = state.axes[name];
      return range ? { title: { text: name }, range } : { title: { text: name }, autorange: true };
    };
    return [traces, { margin: { l: 50, r: 10, t: 30, b: 40 }, xaxis: axis("x"), yaxis: axis("y") }];
  }

  function sameJSON(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  // Plotly may echo a camera back with extra fields or in another key order.
  function sameCamera(a, b) {
    const canon = (cam) =>
      cam && ["eye", "center", "up"].map((k) => (cam[k] ? [cam[k].x, cam[k].y, cam[k].z] : null));
    return sameJSON(canon(a), canon(b));
  }

  // Turning one surface turns all: copy its camera to the others.
  function onSurfaceRelayout(source, ev) {
    const camera = ev["scene.camera"];
    if (!camera || sameCamera(camera, state.camera)) return;
    state.camera = JSON.parse(JSON.stringify(camera));
    for (const c of cards.values()) {
      if (c.surface !== source && c.drawn && webgl) {
        Plotly.relayout(c.surface, { "scene.camera": state.camera });
      }
    }
  }

  // Zooming one contour map zooms all, so the same region is compared.
  function onContourRelayout(source) {
    const read = (ax) => (ax.autorange ? null : ax.range.slice());
    const axes = { x: read(source.layout.xaxis), y: read(source.layout.yaxis) };
    if (sameJSON(axes, state.axes)) return;
    state.axes = axes;
    const update = {};
    for (const name of ["x", "y"]) {
      if (axes[name]) update[name + "axis.range"] = axes[name];
      else update[name + "axis.autorange"] = true;
    }
    for (const c of cards.values()) {
      if (c.contour !== source && c.drawn) Plotly.relayout(c.contour, update);
    }
  }

  function ensureCard(model) {
    if (cards.has(model)) return cards.get(model);
    const c = makeCard(model, DATA.models.indexOf(model));
    resizer.observe(c.surface);
    resizer.observe(c.contour);
    cards.set(model, c);
    return c;
  }

  function listen(c) {
    if (c.listening) return;
    c.listening = true;
    if (webgl) {
      c.surface.on("plotly_relayout", (ev) => onSurfaceRelayout(c.surface, ev));
      c.surface.on("plotly_relayouting", (ev) => onSurfaceRelayout(c.surface, ev));
    }
    c.contour.on("plotly_relayout", () => onContourRelayout(c.contour));
  }

  function clear(c) {
    if (!c.drawn) return;
    Plotly.purge(c.surface);
    Plotly.purge(c.contour);
    c.drawn = false;
    c.listening = false;
  }

  // Put every card in place before drawing, so each plot is sized to its final column.
  function placeCards() {
    const main = el("cards");
    const shown = [];
    for (const model of DATA.models) {
      if (state.models.has(model)) {
        const c = ensureCard(model);
        main.append(c.card); // keeps the cards in model order
        const e = experiments.get(key(model, state.epoch, state.scale)) || null;
        c.empty.hidden = e !== null;
        c.surface.hidden = e === null || !webgl;
        c.contour.hidden = e === null;
        shown.push([c, e]);
      } else if (cards.has(model)) {
        clear(cards.get(model));
        resizer.unobserve(cards.get(model).surface);
        resizer.unobserve(cards.get(model).contour);
        cards.get(model).card.remove();
        cards.delete(model);
      }
    }
    return shown;
  }

  function render() {
    syncEpochs();
    const metric = state.metric;
    const limits = (DATA.limits[metric] || [])[state.scale] || null;
    const label = LABELS[metric];
    const draws = [];
    for (const [c, e] of placeCards()) {
      const model = c.card.dataset.model;
      if (e === null) {
        clear(c);
        c.heading.textContent = model;
        const scale = DATA.scales[state.scale];
        c.empty.textContent = `no ${label} data at epoch ${state.epoch}, scale ${scale}`;
        continue;
      }
      const top = best(e, metric);
      c.heading.textContent = top
        ? `${model} — best ${label} ${fmt(top.v)} at (${fmt(top.x)}, ${fmt(top.y)})`
        : model;
      const plots = [Plotly.react(c.contour, ...contourFigure(e, metric, limits), CONFIG)];
      if (webgl) plots.push(Plotly.react(c.surface, ...surfaceFigure(e, metric, limits), CONFIG));
      c.drawn = true;
      draws.push(Promise.all(plots).then(() => listen(c)));
    }
    if (!state.models.size) el("epoch-label").textContent = "no model selected";
    return Promise.all(draws).then(() => {
      document.body.dataset.ready = "1";
      document.body.dataset.shown = [state.metric, state.scale, state.epoch].join("|");
    });
  }

  buildControls();
  window.prunescapeViewer = { state, webgl }; // for tests and the browser console
  render();
})();
