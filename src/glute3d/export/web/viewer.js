// glute3d offline viewer: the scene's structures in three.js, HTML labels with leader lines,
// layer toggles and opacity, an info card per structure and a quiz.  Everything it needs is in
// this page: the manifest (JSON) and the geometry (zlib-compressed, base64) in two script tags.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

const M = JSON.parse(document.getElementById('g3-manifest').textContent);
const $ = (id) => document.getElementById(id);
const api = { ready: false, readyMs: null, errors: [], marks: { module: performance.now() } };
window.glute3d = api;
function fail(why) {  // e.g. no WebGL, or a browser too old for DecompressionStream
  api.errors.push(String(why));
  const el = $('g3-loading');
  if (!el) return;
  const text = String(why).replace(/^Uncaught (\w*Error: )?/, '').replace(/^THREE\.\w+: /, '').replace(/\.$/, '');
  el.className = 'error';
  el.textContent = `This page could not draw its model (${text}). Open it in a current browser (Chrome, Edge, Firefox or Safari) with WebGL on.`;
}
window.addEventListener('error', (e) => fail(e.message));

// ------------------------------------------------------------------ geometry
async function inflate(b64) {
  const t0 = performance.now();
  const bin = atob(b64.trim());
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  api.marks.decoded = performance.now() - t0;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  const out = await new Response(stream).arrayBuffer();
  api.marks.unzipped = performance.now();
  return out;
}

function geometryOf(buf, g) {
  const n = g.vertices;
  const q = new Uint16Array(buf, g.position, n * 3);
  const pos = new Float32Array(n * 3);
  for (let i = 0; i < n * 3; i += 3) {
    pos[i] = g.min[0] + q[i] * g.step[0];
    pos[i + 1] = g.min[1] + q[i + 1] * g.step[1];
    pos[i + 2] = g.min[2] + q[i + 2] * g.step[2];
  }
  const geo = new THREE.BufferGeometry();
  geo.setAttribute('position', new THREE.BufferAttribute(pos, 3));
  geo.setAttribute('normal', new THREE.BufferAttribute(new Int8Array(buf, g.normal, n * 3), 3, true));
  const Index = g.index32 ? Uint32Array : Uint16Array;
  geo.setIndex(new THREE.BufferAttribute(new Index(buf, g.index, g.triangles * 3), 1));
  if (g.color !== undefined) {
    const c8 = new Uint8Array(buf, g.color, n * 3);
    const col = new Float32Array(n * 3);
    const c = new THREE.Color();
    for (let i = 0; i < n * 3; i += 3) {
      c.setRGB(c8[i] / 255, c8[i + 1] / 255, c8[i + 2] / 255, THREE.SRGBColorSpace);
      col[i] = c.r; col[i + 1] = c.g; col[i + 2] = c.b;
    }
    geo.setAttribute('color', new THREE.BufferAttribute(col, 3));
  }
  geo.computeBoundingSphere();
  geo.computeBoundingBox();
  return geo;
}

function materialOf(m, vertexColors) {
  const mat = new THREE.MeshPhongMaterial({
    color: vertexColors ? 0xffffff : new THREE.Color(m.color),
    vertexColors,
    specular: new THREE.Color().setScalar(m.specular * 0.6),
    shininess: m.shininess,
    side: m.doubleSided ? THREE.DoubleSide : THREE.FrontSide,
  });
  setOpacity(mat, m.opacity);
  return mat;
}

function setOpacity(mat, value) {
  const translucent = value < 0.999;
  if (mat.transparent !== translucent) mat.needsUpdate = true;
  mat.transparent = translucent;
  mat.opacity = value;
  mat.depthWrite = !translucent;
}

// the model inflates while WebGL starts
const geometry = inflate($('g3-blob').textContent);

// ------------------------------------------------------------------ scene
const canvas = $('g3-canvas');
const stage = $('g3-stage');
const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
api.marks.webgl = performance.now();
const scene = new THREE.Scene();
scene.background = new THREE.Color(M.background);
{  // a dark background (the scene's choice) gets light leaders and label boxes
  const c = new THREE.Color(M.background);
  c.convertLinearToSRGB();
  if (0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b < 0.45) document.body.classList.add('dark');
  stage.style.background = M.background;
}
const C = M.camera;
const camera = C.orthographic
  ? new THREE.OrthographicCamera(-1, 1, 1, -1, 0.001, 100)
  : new THREE.PerspectiveCamera(C.fov, 1, 0.001, 100);
scene.add(camera);
// lights that follow the camera, like a lamp over the lecturer's shoulder, and a soft fill
scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8a8a, 1.15));
const key = new THREE.DirectionalLight(0xffffff, 2.1);
key.position.set(-0.6, 0.9, 1.0);
camera.add(key);
camera.add(key.target);
key.target.position.set(0, 0, -1);
const fill = new THREE.DirectionalLight(0xffffff, 0.75);
fill.position.set(0.8, -0.3, 0.6);
camera.add(fill);
camera.add(fill.target);
fill.target.position.set(0, 0, -1);

const controls = new OrbitControls(camera, canvas);
controls.enableDamping = false;
controls.zoomToCursor = true;

const structures = [];  // {name, info, layer, mesh, base}
const aids = [];
const layers = new Map();  // name -> {name, color, opacity, visible, items: []}
let labels = [];

function setView() {
  camera.up.set(...C.up);
  camera.position.set(...C.position);
  controls.target.set(...C.target);
  camera.lookAt(controls.target);
  camera.zoom = C.zoom || 1;
  const d = camera.position.distanceTo(controls.target);
  camera.near = Math.max(d / 50, 0.0005);
  camera.far = d * 20;
  resize();
  controls.update();
}

function resize() {
  const w = Math.max(stage.clientWidth, 1), h = Math.max(stage.clientHeight, 1);
  renderer.setSize(w, h, false);
  const aspect = w / h;
  // keep what the picture showed: the scene's height, and its width when the window is narrower
  const widen = Math.max(1, C.aspect / aspect);
  if (C.orthographic) {
    const hh = C.halfHeight * widen;
    camera.top = hh; camera.bottom = -hh; camera.left = -hh * aspect; camera.right = hh * aspect;
  } else {
    camera.aspect = aspect;
    camera.fov = 2 * THREE.MathUtils.radToDeg(Math.atan(Math.tan(THREE.MathUtils.degToRad(C.fov / 2)) * widen));
  }
  camera.updateProjectionMatrix();
  if (api.ready) updateAnchors();
  requestRender();
}

// ------------------------------------------------------------------ drawing on demand
let pending = false;
function requestRender() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(draw);
}
function draw() {
  pending = false;
  renderer.render(scene, camera);
  layoutLabels();
}
controls.addEventListener('change', requestRender);
controls.addEventListener('end', () => { updateAnchors(); layoutLabels(); });
new ResizeObserver(resize).observe(stage);

// ------------------------------------------------------------------ labels
// Which anchors show: a depth picture of the opaque structures (as the PNG renderer tests its
// z-buffer), read back once per view; an anchor behind something gets a dashed leader.
const raycaster = new THREE.Raycaster();
const SVG = 'http://www.w3.org/2000/svg';
const depthTarget = new THREE.WebGLRenderTarget(1, 1);
const depthMaterial = new THREE.ShaderMaterial({
  side: THREE.DoubleSide,
  vertexShader: 'void main() { gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0); }',
  fragmentShader: `void main() {
    vec3 enc = fract(gl_FragCoord.z * vec3(1.0, 255.0, 65025.0));
    enc -= enc.yzz * vec3(1.0 / 255.0, 1.0 / 255.0, 0.0);
    gl_FragColor = vec4(enc, 1.0);
  }`,
});
let depth = null;  // {w, h, data}

function occluders() {
  const out = [];
  for (const s of [...structures, ...aids]) {
    if (s.mesh.visible && s.mesh.material.opacity >= 0.5) out.push(s.mesh);
  }
  return out;
}

function depthSnapshot() {
  const w = Math.max(1, Math.round(stage.clientWidth / 2)), h = Math.max(1, Math.round(stage.clientHeight / 2));
  depthTarget.setSize(w, h);
  const solid = new Set(occluders());
  const hidden = [];
  for (const s of [...structures, ...aids]) if (s.mesh.visible && !solid.has(s.mesh)) { s.mesh.visible = false; hidden.push(s.mesh); }
  const background = scene.background;
  const clear = renderer.getClearColor(new THREE.Color());
  scene.background = null;
  scene.overrideMaterial = depthMaterial;
  renderer.setRenderTarget(depthTarget);
  renderer.setClearColor(0xffffff, 1);
  renderer.clear();
  renderer.render(scene, camera);
  renderer.setRenderTarget(null);
  renderer.setClearColor(clear, 1);
  scene.overrideMaterial = null;
  scene.background = background;
  for (const m of hidden) m.visible = true;
  const data = new Uint8Array(w * h * 4);
  renderer.readRenderTargetPixels(depthTarget, 0, 0, w, h, data);
  depth = { w, h, data };
}

function viewDistance(z) {  // window depth [0, 1] -> distance along the view axis
  const n = camera.near, f = camera.far;
  if (camera.isOrthographicCamera) return n + z * (f - n);
  return (n * f) / (f - z * (f - n));
}

function isVisible(p) {
  const v = p.clone().project(camera);
  if (v.x < -1 || v.x > 1 || v.y < -1 || v.y > 1 || v.z < -1 || v.z > 1) return false;
  const px = Math.min(depth.w - 1, Math.floor((v.x + 1) / 2 * depth.w));
  const py = Math.min(depth.h - 1, Math.floor((v.y + 1) / 2 * depth.h));  // rows from the bottom, as WebGL reads
  let far = 0;
  for (let dy = -1; dy <= 1; dy++) {  // the farthest of 3x3 pixels: the anchor's own edge shows
    for (let dx = -1; dx <= 1; dx++) {
      const x = Math.max(0, Math.min(depth.w - 1, px + dx)), y = Math.max(0, Math.min(depth.h - 1, py + dy));
      const i = (y * depth.w + x) * 4, d = depth.data;
      far = Math.max(far, d[i] / 255 + d[i + 1] / 65025 + d[i + 2] / 16581375);
    }
  }
  if (far >= 0.999999) return true;
  const mine = viewDistance((v.z + 1) / 2);
  return mine <= viewDistance(far) + 0.004 + 0.002 * mine;  // within 4 mm: its own surface
}

// The anchor of a label among its candidates, as the picture chooses it: a point's centre
// (lifted toward the viewer like its sphere); the first of a curve's points (middle-out) that
// shows; the most interior showing point of a structure or region.
function interior(xy) {
  if (xy.length < 3) return xy.map(() => 0);
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of xy) { x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y); }
  const r = Math.max(0.25 * Math.hypot(x1 - x0, y1 - y0), 2), r2 = r * r;
  return xy.map((p) => xy.reduce((n, q) => n + ((p.x - q.x) ** 2 + (p.y - q.y) ** 2 <= r2), 0));
}

function chooseAnchor(L) {
  const toward = new THREE.Vector3();
  camera.getWorldDirection(toward).negate();
  const pts = L.points.map((p) => (L.lift ? p.clone().addScaledVector(toward, 0.9 * L.lift) : p));
  if (L.kind === 'point' || L.kind === 'curve') {
    const p = pts.find((q) => isVisible(q));
    return p ? [p, false] : [pts[0], true];
  }
  const seen = pts.filter((q) => isVisible(q));
  if (!seen.length) return [pts[0], true];
  const xy = seen.map(screenOf);
  const score = interior(xy);
  const mx = [...xy.map((p) => p.x)].sort((a, b) => a - b)[xy.length >> 1];
  const my = [...xy.map((p) => p.y)].sort((a, b) => a - b)[xy.length >> 1];
  let best = 0;
  for (let i = 1; i < seen.length; i++) {
    const d = (i2) => Math.hypot(xy[i2].x - mx, xy[i2].y - my);
    if (score[i] > score[best] || (score[i] === score[best] && d(i) < d(best))) best = i;
  }
  return [seen[best], false];
}

function updateAnchors() {
  if (!labels.length || !$('g3-labels-on').checked) return;
  depthSnapshot();
  for (const L of labels) [L.anchor, L.hidden] = chooseAnchor(L);
}

function screenOf(p) {
  const v = p.clone().project(camera);
  return { x: (v.x + 1) / 2 * stage.clientWidth, y: (1 - v.y) / 2 * stage.clientHeight, z: v.z };
}

function modelBox() {
  const box = new THREE.Box3();
  for (const s of structures) if (s.mesh.visible) box.expandByObject(s.mesh);
  if (box.isEmpty()) return null;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < 8; i++) {
    const c = new THREE.Vector3(i & 1 ? box.max.x : box.min.x, i & 2 ? box.max.y : box.min.y, i & 4 ? box.max.z : box.min.z);
    const s = screenOf(c);
    x0 = Math.min(x0, s.x); x1 = Math.max(x1, s.x); y0 = Math.min(y0, s.y); y1 = Math.max(y1, s.y);
  }
  return { x0, x1, y0, y1 };
}

function stack(column, H) {  // y of each label of a column, in its order, close to its anchor
  let bottom = 6;
  for (const L of column) { L.y = Math.max(L.ay - L.h / 2, bottom); bottom = L.y + L.h + 6; }
  let top = H - 6;
  for (let i = column.length - 1; i >= 0; i--) {
    const L = column[i];
    if (L.y + L.h > top) L.y = top - L.h;
    top = L.y - 6;
  }
  for (const L of column) L.y = Math.max(L.y, 4);
}

function crosses(a, b) {  // do two leaders (label edge -> anchor) cross?
  const o = (p, q, r) => Math.sign((q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x));
  const p1 = { x: a.lx, y: a.y + a.h / 2 }, p2 = { x: a.ax, y: a.ay };
  const q1 = { x: b.lx, y: b.y + b.h / 2 }, q2 = { x: b.ax, y: b.ay };
  return o(p1, p2, q1) * o(p1, p2, q2) < 0 && o(q1, q2, p1) * o(q1, q2, p2) < 0;
}

// Place the columns for the current sides and orders; the cost counts crossing leaders first,
// then their length (as the picture's layout does, in a simpler search).
function place(cols, box, W, H) {
  const wl = Math.max(0, ...cols.left.map((L) => L.w)), wr = Math.max(0, ...cols.right.map((L) => L.w));
  const edgeL = Math.min(Math.max(box.x0 - 24, wl + 8), W / 2 - 10);
  const edgeR = Math.max(Math.min(box.x1 + 24, W - wr - 8), W / 2 + 10);
  stack(cols.left, H); stack(cols.right, H);
  for (const L of cols.left) { L.x = edgeL - L.w; L.lx = edgeL; }
  for (const L of cols.right) { L.x = edgeR; L.lx = edgeR; }
  const all = [...cols.left, ...cols.right].filter((L) => L.leader);
  let cost = 0;
  for (let i = 0; i < all.length; i++) {
    cost += Math.hypot(all[i].ax - all[i].lx, all[i].ay - all[i].y - all[i].h / 2);
    for (let j = i + 1; j < all.length; j++) if (crosses(all[i], all[j])) cost += 1e5;
  }
  return cost;
}

function untangle(cols, box, W, H) {
  let cost = place(cols, box, W, H);
  for (let pass = 0; pass < 3 && cost >= 1e5; pass++) {
    let better = false;
    for (const L of [...cols.left, ...cols.right]) {  // another side
      if (L.side === 'left' || L.side === 'right') continue;
      const from = cols.left.includes(L) ? 'left' : 'right', to = from === 'left' ? 'right' : 'left';
      const trial = { left: cols.left.filter((M) => M !== L), right: cols.right.filter((M) => M !== L) };
      trial[to] = [...trial[to], L].sort((u, v) => u.ay - v.ay);
      const c = place(trial, box, W, H);
      if (c < cost - 1) { cost = c; cols.left = trial.left; cols.right = trial.right; better = true; }
    }
    for (const name of ['left', 'right']) {  // another order within a column
      const col = cols[name];
      for (let i = 0; i + 1 < col.length; i++) {
        [col[i], col[i + 1]] = [col[i + 1], col[i]];
        const c = place(cols, box, W, H);
        if (c < cost - 1) { cost = c; better = true; } else { [col[i], col[i + 1]] = [col[i + 1], col[i]]; }
      }
    }
    if (!better) break;
  }
  place(cols, box, W, H);
}

function layoutLabels() {
  const svg = $('g3-leaders');
  svg.replaceChildren();
  const on = $('g3-labels-on').checked && !document.body.classList.contains('quiz');
  for (const L of labels) L.el.hidden = !on;
  if (!on || !labels.length) return;
  const W = stage.clientWidth, H = stage.clientHeight;
  const box = modelBox() || { x0: W * 0.3, x1: W * 0.7, y0: 0, y1: H };
  const mid = (box.x0 + box.x1) / 2;
  const cols = { left: [], right: [] };
  for (const L of labels) {
    const s = screenOf(L.anchor || L.points[0]);
    L.ax = s.x; L.ay = s.y;
    L.w = L.el.offsetWidth; L.h = L.el.offsetHeight;
    if (L.side === 'left' || L.side === 'right') L.now = L.side;
    else if (!L.now) L.now = s.x < mid ? 'left' : 'right';  // kept from view to view unless crossings say otherwise
    cols[L.now].push(L);
  }
  cols.left.sort((u, v) => u.ay - v.ay); cols.right.sort((u, v) => u.ay - v.ay);
  untangle(cols, box, W, H);
  for (const L of cols.left) { L.now = 'left'; L.el.className = 'g3-label left'; }
  for (const L of cols.right) { L.now = 'right'; L.el.className = 'g3-label right'; }
  for (const L of labels) {
    L.el.style.left = `${Math.round(L.x)}px`;
    L.el.style.top = `${Math.round(L.y)}px`;
    if (!L.leader) continue;
    const line = document.createElementNS(SVG, 'line');
    line.setAttribute('x1', L.lx); line.setAttribute('y1', L.y + L.h / 2);
    line.setAttribute('x2', L.ax); line.setAttribute('y2', L.ay);
    const dot = document.createElementNS(SVG, 'circle');
    dot.setAttribute('cx', L.ax); dot.setAttribute('cy', L.ay); dot.setAttribute('r', 3.2);
    if (L.hidden) { line.classList.add('hidden'); dot.classList.add('hidden'); }
    svg.append(line, dot);
  }
}

// ------------------------------------------------------------------ panel
function layerList() {
  const ul = $('g3-layers');
  for (const layer of layers.values()) {
    const li = document.createElement('li');
    li.dataset.layer = layer.name;
    const row = document.createElement('label');
    row.className = 'row';
    const box = document.createElement('input');
    box.type = 'checkbox'; box.checked = true;
    box.setAttribute('aria-label', `show ${layer.name}`);
    const sw = document.createElement('span');
    sw.className = 'swatch'; sw.style.background = layer.color;
    const name = document.createElement('span');
    name.textContent = layer.name;
    row.append(box, sw, name);
    const op = document.createElement('div');
    op.className = 'opacity';
    const slider = document.createElement('input');
    slider.type = 'range'; slider.min = 5; slider.max = 100; slider.value = Math.round(layer.opacity * 100);
    slider.setAttribute('aria-label', `opacity of ${layer.name}`);
    const out = document.createElement('output');
    out.textContent = `${slider.value}%`;
    op.append('Opacity', slider, out);
    li.append(row, op);
    ul.append(li);
    box.addEventListener('change', () => { showLayer(layer.name, box.checked); });
    slider.addEventListener('input', () => {
      out.textContent = `${slider.value}%`;
      for (const s of layer.items) setOpacity(s.mesh.material, slider.value / 100);
      updateAnchors(); requestRender();
    });
  }
}

function showLayer(name, on) {
  const layer = layers.get(name);
  if (!layer) return false;
  for (const s of layer.items) s.mesh.visible = on;
  const box = document.querySelector(`#g3-layers li[data-layer="${CSS.escape(name)}"] input[type=checkbox]`);
  if (box) box.checked = on;
  updateAnchors(); requestRender();
  return true;
}

function showCard(s) {
  const info = s.info;
  $('g3-card').hidden = false;
  $('g3-card-name').textContent = info.display || s.name;
  $('g3-card-latin').textContent = info.latin || '';
  const dl = $('g3-card-facts');
  dl.replaceChildren();
  const rows = [
    ['Kind', info.kind ? info.kind.replace(/_/g, ' ') : null], ['Part of', info.part_of], ['Origin', info.origin],
    ['Insertion', info.insertion], ['Innervation', info.innervation], ['Action', info.action],
    ['Blood supply', info.blood_supply], ['Supplies', info.supplies], ['Layer', s.layer],
  ];
  for (const [term, value] of rows) {
    if (!value || (Array.isArray(value) && !value.length)) continue;
    const dt = document.createElement('dt'); dt.textContent = term;
    const dd = document.createElement('dd');
    if (Array.isArray(value) && value.length > 1) {
      const ul = document.createElement('ul');
      for (const v of value) { const li = document.createElement('li'); li.textContent = v; ul.append(li); }
      dd.append(ul);
    } else {
      dd.textContent = Array.isArray(value) ? value[0] : value;
    }
    dl.append(dt, dd);
  }
  const ids = [info.fma, info.uberon].filter(Boolean).join(' · ');
  $('g3-card-ids').textContent = ids;
  $('g3-panel').scrollTop = 0;
}

function safetyBar() {
  const S = M.safety;
  if (!S) return;
  $('g3-safety').hidden = false;
  $('g3-safety-title').textContent = S.title;
  $('g3-safety-bar').style.background = `linear-gradient(90deg,${S.stops.join(',')})`;
  const mark = $('g3-safety-threshold');
  const vmin = S.vmin || 0;
  const at = (v) => `${(100 * (v - vmin)) / (S.vmax - vmin)}%`;
  mark.style.left = at(S.threshold);
  mark.style.background = S.thresholdColor;
  mark.title = `${S.threshold} mm`;
  for (const v of S.ticks) {
    const t = document.createElement('span');
    t.style.left = at(v);
    if (v === S.ticks[0]) t.style.transform = 'none';  // the ends stay inside the panel
    if (v === S.ticks[S.ticks.length - 1]) t.style.transform = 'translateX(-100%)';
    t.textContent = `${v}${v >= S.vmax ? '+' : ''}${v === S.ticks[S.ticks.length - 1] ? ' mm' : ''}`;
    $('g3-safety-ticks').append(t);
  }
}

// ------------------------------------------------------------------ picking
// a selected structure lights up in its own colour; in the quiz a right answer turns green, and after a wrong
// one the answer turns bright sky-blue (apart from every tissue colour of the theme)
const SELECT = 0.42;  // a selected structure is lit by this share of its own colour
const MARK = { ok: [0x1fbf4a, 0x0b4a1c], answer: [0x12a4ff, 0x0a3a66] };
// and gets a blue outline: its back faces pushed out along the normals ("inverted hull")
const outlineMaterial = new THREE.MeshBasicMaterial({ color: 0x1f5fa8, side: THREE.BackSide });
outlineMaterial.onBeforeCompile = (shader) => {
  shader.vertexShader = shader.vertexShader.replace(
    '#include <begin_vertex>', '#include <begin_vertex>\n  transformed += normalize(normal) * 0.0025;');
};
function glow(s, on) {
  const m = s.mesh.material;
  if (on) m.emissive.copy(m.vertexColors ? new THREE.Color(0x777777) : m.color).multiplyScalar(SELECT);
  else m.emissive.setHex(0);
  if (on && !s.outline) {
    s.outline = new THREE.Mesh(s.mesh.geometry, outlineMaterial);
    s.outline.raycast = () => {};  // not clickable
    s.mesh.add(s.outline);
  }
  if (s.outline) s.outline.visible = on && m.opacity >= 0.5;
  requestRender();
}
function mark(s, kind) {
  const m = s.mesh.material;
  if (!s.base) s.base = m.color.clone();
  if (kind) { m.color.setHex(MARK[kind][0]); m.emissive.setHex(MARK[kind][1]); } else { m.color.copy(s.base); m.emissive.setHex(0); }
  requestRender();
}
let selected = null;

function pick(event) {
  const r = canvas.getBoundingClientRect();
  const ndc = new THREE.Vector2(((event.clientX - r.left) / r.width) * 2 - 1, -((event.clientY - r.top) / r.height) * 2 + 1);
  raycaster.setFromCamera(ndc, camera);
  raycaster.near = 0; raycaster.far = Infinity;
  const meshes = structures.filter((s) => s.mesh.visible).map((s) => s.mesh);
  const hits = raycaster.intersectObjects(meshes, false);
  if (!hits.length) return null;
  const solid = hits.find((h) => h.object.material.opacity >= 0.5) || hits[0];
  return solid.object.userData.structure;
}

let down = null;
canvas.addEventListener('pointerdown', (e) => { down = { x: e.clientX, y: e.clientY }; });
canvas.addEventListener('pointerup', (e) => {
  if (!down || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 5) return;
  const s = pick(e);
  if (quiz.active) { answer(s); return; }
  if (selected) glow(selected, false);
  selected = s;
  if (s) { glow(s, true); showCard(s); } else { $('g3-card').hidden = true; }
});
$('g3-card-close').addEventListener('click', () => { if (selected) glow(selected, false); selected = null; $('g3-card').hidden = true; });

// ------------------------------------------------------------------ quiz
const quiz = { active: false, order: [], at: 0, right: 0, asked: 0, answered: false, marks: [] };

function quizPool() {
  return structures.filter((s) => s.mesh.visible && s.mesh.material.opacity >= 0.5);
}

function startQuiz() {
  const pool = quizPool();
  if (!pool.length) return;
  for (let i = pool.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [pool[i], pool[j]] = [pool[j], pool[i]]; }
  Object.assign(quiz, { active: true, order: pool, at: 0, right: 0, asked: 0 });
  if (selected) glow(selected, false);
  selected = null; $('g3-card').hidden = true;
  document.body.classList.add('quiz');
  $('g3-quiz').hidden = false;
  ask();
}

function clearMarks() { for (const s of quiz.marks) mark(s, null); quiz.marks = []; }

function ask() {
  clearMarks();
  quiz.answered = false;
  const verdict = $('g3-quiz-verdict');
  verdict.textContent = ''; verdict.className = 'verdict';
  if (quiz.at >= quiz.order.length) {
    $('g3-quiz-prompt').innerHTML = '';
    $('g3-quiz-prompt').append('Done: ', Object.assign(document.createElement('b'), { textContent: `${quiz.right} of ${quiz.asked}` }), ' right.');
    $('g3-quiz-next').textContent = 'Again';
  } else {
    const s = quiz.order[quiz.at];
    $('g3-quiz-prompt').replaceChildren('Click the ', Object.assign(document.createElement('b'), { textContent: s.info.display || s.name }));
    $('g3-quiz-next').textContent = 'Skip';
  }
  $('g3-quiz-score').textContent = `Score ${quiz.right} / ${quiz.asked}`;
  requestRender();
}

function answer(s) {
  if (quiz.answered || quiz.at >= quiz.order.length) return;
  const target = quiz.order[quiz.at];
  const verdict = $('g3-quiz-verdict');
  quiz.answered = true; quiz.asked += 1;
  if (s === target) {
    quiz.right += 1;
    mark(s, 'ok'); quiz.marks.push(s);
    verdict.textContent = 'Right!'; verdict.className = 'verdict ok';
  } else {
    mark(target, 'answer'); quiz.marks.push(target);
    const where = 'The answer is shown in blue.';
    verdict.textContent = s ? `No: that is ${s.info.display || s.name}. ${where}` : `No structure there. ${where}`;
    verdict.className = 'verdict bad';
  }
  $('g3-quiz-score').textContent = `Score ${quiz.right} / ${quiz.asked}`;
  $('g3-quiz-next').textContent = 'Next';
}

function next() {
  if (quiz.at >= quiz.order.length) { startQuiz(); return; }
  if (!quiz.answered) { quiz.asked += 1; }
  quiz.at += 1; ask();
}

function endQuiz() {
  clearMarks();
  quiz.active = false;
  document.body.classList.remove('quiz');
  $('g3-quiz').hidden = true;
  requestRender();
}

$('g3-quiz-start').addEventListener('click', () => (quiz.active ? endQuiz() : startQuiz()));
$('g3-quiz-next').addEventListener('click', next);
$('g3-quiz-end').addEventListener('click', endQuiz);
function resetView() { for (const L of labels) L.now = null; setView(); updateAnchors(); requestRender(); }
$('g3-reset').addEventListener('click', resetView);
$('g3-labels-on').addEventListener('change', () => { updateAnchors(); requestRender(); });
$('g3-aids-on').addEventListener('change', (e) => { for (const a of aids) a.mesh.visible = e.target.checked; updateAnchors(); requestRender(); });
window.addEventListener('keydown', (e) => {
  if (e.target.tagName === 'INPUT' || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'r' || e.key === 'R') resetView();
  if (e.key === 'q' || e.key === 'Q') (quiz.active ? endQuiz() : startQuiz());
  if (e.key === 'Escape' && quiz.active) endQuiz();
});

// ------------------------------------------------------------------ start
async function start() {
  const buf = await geometry;
  api.marks.inflated = performance.now();
  for (const d of M.structures) {
    const geo = geometryOf(buf, d);
    const mesh = new THREE.Mesh(geo, materialOf(d.material, d.color !== undefined));
    mesh.name = d.name;
    const s = { name: d.name, info: d.info, layer: d.layer, mesh };
    mesh.userData.structure = s;
    structures.push(s);
    scene.add(mesh);
    if (!layers.has(d.layer)) layers.set(d.layer, { name: d.layer, color: d.color !== undefined && M.safety ? `linear-gradient(90deg,${M.safety.stops.join(',')})` : d.material.color, opacity: d.material.opacity, items: [] });
    layers.get(d.layer).items.push(s);
  }
  for (const d of M.aids) {
    const mesh = new THREE.Mesh(geometryOf(buf, d), materialOf(d.material, false));
    mesh.name = d.name;
    aids.push({ name: d.name, mesh });
    scene.add(mesh);
  }
  $('g3-aids-row').hidden = !aids.length;
  $('g3-show').querySelector('label.row').hidden = !M.labels.length;
  const box = $('g3-labels');
  labels = M.labels.map((d) => {
    const el = document.createElement('div');
    el.className = 'g3-label';
    el.textContent = d.text;
    el.dataset.target = d.target;
    box.append(el);
    return { ...d, el, points: d.anchors.map((p) => new THREE.Vector3(...p)), anchor: null, hidden: false };
  });
  layerList();
  safetyBar();
  api.marks.built = performance.now();
  setView();
  updateAnchors();
  api.marks.anchors = performance.now();
  draw();
  api.marks.drawn = performance.now();
  $('g3-loading').remove();
  api.ready = true;
  api.readyMs = performance.now();
  document.body.dataset.ready = '1';
}

Object.assign(api, {
  showLayer,
  layers: () => [...layers.keys()],
  structures: () => structures.map((s) => s.name),
  labels: () => labels.map((L) => ({ text: L.text, hidden: L.hidden, x: L.x, y: L.y, w: L.w, h: L.h })),
  projectStructure: (name) => {  // a point on screen where a click picks this structure, or null
    const s = structures.find((t) => t.name === name);
    if (!s || !s.mesh.visible) return null;
    const c = new THREE.Vector3(); s.mesh.geometry.boundingBox.getCenter(c);
    const pos = s.mesh.geometry.attributes.position;
    depthSnapshot();
    const seen = [];
    for (let i = 0; i < pos.count; i += Math.max(1, Math.floor(pos.count / 600))) {
      const p = new THREE.Vector3().fromBufferAttribute(pos, i);
      if (isVisible(p)) seen.push([p.distanceTo(c), p]);
    }
    seen.sort((u, v) => u[0] - v[0]);
    const r = canvas.getBoundingClientRect();
    for (const [, p] of seen.slice(0, 40)) {
      const sc = screenOf(p);
      const at = { clientX: r.left + sc.x, clientY: r.top + sc.y };
      if (pick(at) === s) return { x: at.clientX, y: at.clientY };
    }
    return null;
  },
  quiz: () => ({ active: quiz.active, target: quiz.order[quiz.at] ? quiz.order[quiz.at].name : null, right: quiz.right, asked: quiz.asked }),
  render: () => { renderer.render(scene, camera); layoutLabels(); },
});

start().catch((err) => { fail(err); throw err; });
