// The comparison viewer of pairforge's pages (compare, validate --html, report): one image at a
// time, its versions on number keys, a before/after slider, wheel zoom and drag pan shared by
// all versions, nearest-neighbour pixels when zoomed in. Data (see src/pages/compare_page.cpp):
//   {versions: [{label, kind: 'lq'|'output'|'hq'}],
//    images: [{name, w, h, v: [{src, scale, q: {psnr, ssim, psnr_y, ssim_y}} | null]}]}
// w x h is the output size; an entry with scale s is s times smaller and shown upscaled.
(function () {
  'use strict';

  // Integer zooms from 1 up, so every source pixel becomes an equal square block.
  const LEVELS = [1 / 16, 1 / 8, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
  const METRICS = [['psnr', 'PSNR', 2], ['ssim', 'SSIM', 4], ['psnr_y', 'PSNR Y', 2], ['ssim_y', 'SSIM Y', 4]];

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function scaleText(s) {
    return Number.isInteger(s) ? String(s) : s.toFixed(2);
  }

  class Viewer {
    constructor(root) {
      this.root = root;
      this.data = {versions: [], images: []};
      this.image = 0;
      this.slider = false;
      this.shown = 0;  // the version in single view
      this.a = 0;      // slider: left
      this.b = 0;      // slider: right
      this.zoom = 1;
      this.tx = 0;
      this.ty = 0;
      this.split = null;  // slider split, px from the view's left edge
      this.locked = false;
      this.frame = null;  // w x h the current view was fitted for
      this.imgs = new Map();  // src -> <img> of the current image, loaded ahead
      this.drag = null;
      this.build();
    }

    build() {
      const r = this.root;
      r.classList.add('pf-viewer');
      r.textContent = '';
      const side = el('aside', 'pf-side');
      side.append(el('div', 'pf-head', 'Images (↑ ↓)'));
      this.list = el('ol', 'pf-list');
      side.append(this.list);
      this.metrics = el('div', 'pf-metrics');
      side.append(this.metrics);
      const main = el('section', 'pf-main');
      const bar = el('div', 'pf-bar');
      this.buttons = el('div', 'pf-versions');
      this.modeButton = el('button', 'pf-mode', 'Slider (S)');
      this.modeButton.title = 'before/after slider between two versions';
      this.modeButton.addEventListener('click', () => this.setSlider(!this.slider));
      this.zoomText = el('span', 'pf-zoom');
      bar.append(this.buttons, this.modeButton, this.zoomText);
      this.view = el('div', 'pf-view');
      this.layerA = el('div', 'pf-layer');
      this.layerB = el('div', 'pf-layer pf-layer-b');
      this.splitLine = el('div', 'pf-split');
      this.tagA = el('div', 'pf-tag pf-tag-a');
      this.tagB = el('div', 'pf-tag pf-tag-b');
      this.empty = el('div', 'pf-empty', 'No images.');
      this.view.append(this.layerA, this.layerB, this.splitLine, this.tagA, this.tagB, this.empty);
      const help = el('div', 'pf-help',
        '1–9: version · S: slider (1–9 right side, shift+1–9 left side, click: lock the split) · ' +
        'wheel: zoom · drag: pan · 0 or double-click: fit · +/−: zoom · ↑ ↓: image');
      main.append(bar, this.view, help);
      r.append(side, main);

      this.view.addEventListener('wheel', (e) => this.onWheel(e), {passive: false});
      this.view.addEventListener('pointerdown', (e) => this.onDown(e));
      this.view.addEventListener('pointermove', (e) => this.onMove(e));
      this.view.addEventListener('pointerup', (e) => this.onUp(e));
      this.view.addEventListener('dblclick', () => this.fit());
      document.addEventListener('keydown', (e) => this.onKey(e));
      window.addEventListener('resize', () => this.render());
    }

    // New data (a report refresh keeps the image, the versions and the view by name and label).
    setData(data) {
      const old = this.data;
      const img = old.images[this.image];
      const label = (i) => (old.versions[i] ? old.versions[i].label : null);
      const keep = {name: img && img.name, shown: label(this.shown), a: label(this.a), b: label(this.b)};
      this.data = data;
      const find = (l, fallback) => {
        const i = data.versions.findIndex((v) => v.label === l);
        return i >= 0 ? i : fallback;
      };
      const index = data.images.findIndex((i) => i.name === keep.name);
      this.image = index >= 0 ? index : 0;
      this.shown = find(keep.shown, this.firstPresent());
      this.a = find(keep.a, this.shown);
      this.b = find(keep.b, this.defaultB(this.a));
      this.buildList();
      this.showImage(this.image);
    }

    current() {
      return this.data.images[this.image];
    }

    entry(v) {
      const img = this.current();
      return img && img.v[v] ? img.v[v] : null;
    }

    firstPresent() {
      const img = this.current();
      if (!img) return 0;
      const i = img.v.findIndex((e) => e);
      return i >= 0 ? i : 0;
    }

    // The slider's other side: HQ when there is one, else the next version present.
    defaultB(a) {
      const hq = this.data.versions.findIndex((v) => v.kind === 'hq');
      if (hq >= 0 && hq !== a && this.entry(hq)) return hq;
      const n = this.data.versions.length;
      for (let k = 1; k < n; ++k) {
        const v = (a + k) % n;
        if (this.entry(v)) return v;
      }
      return a;
    }

    buildList() {
      this.list.textContent = '';
      this.data.images.forEach((img, i) => {
        const li = el('li', null, img.name);
        li.title = `${img.name} (${img.w}×${img.h})`;
        li.addEventListener('click', () => this.showImage(i));
        this.list.append(li);
      });
    }

    showImage(i) {
      const n = this.data.images.length;
      this.empty.style.display = n ? 'none' : '';
      if (!n) {
        this.layerA.textContent = '';
        this.layerB.textContent = '';
        this.buttons.textContent = '';
        this.metrics.textContent = '';
        return;
      }
      this.image = Math.max(0, Math.min(n - 1, i));
      [...this.list.children].forEach((li, k) => li.classList.toggle('pf-current', k === this.image));
      // The list scrolls to the current name; scrollIntoView would scroll the report page too,
      // on every refresh.
      const cur = this.list.children[this.image], side = this.list.parentElement;
      if (cur) {
        const c = cur.getBoundingClientRect(), b = side.getBoundingClientRect();
        if (c.top < b.top) side.scrollTop -= b.top - c.top;
        else if (c.bottom > b.bottom) side.scrollTop += c.bottom - b.bottom;
      }
      if (!this.entry(this.shown)) this.shown = this.firstPresent();
      if (!this.entry(this.a)) this.a = this.shown;
      if (!this.entry(this.b) || this.b === this.a) this.b = this.defaultB(this.a);
      // Load every version of this image now, so number keys switch without a wait.
      const imgs = new Map();
      for (const e of this.current().v) {
        if (!e || imgs.has(e.src)) continue;
        let im = this.imgs.get(e.src);
        if (!im) {
          im = new Image();
          im.draggable = false;
          im.src = e.src;
        }
        imgs.set(e.src, im);
      }
      this.imgs = imgs;
      const img = this.current();
      if (!this.frame || this.frame.w !== img.w || this.frame.h !== img.h) this.fit();
      this.buildButtons();
      this.buildMetrics();
      this.render();
    }

    buildButtons() {
      this.buttons.textContent = '';
      this.data.versions.forEach((v, i) => {
        const e = this.entry(i);
        const b = el('button', 'pf-version');
        if (i < 9) b.append(el('kbd', null, String(i + 1)));
        b.append(el('span', 'pf-label', v.label));
        if (e && e.q && e.q.psnr !== undefined) {
          const parts = [`${e.q.psnr.toFixed(2)} dB`];
          if (e.q.ssim !== undefined) parts.push(e.q.ssim.toFixed(4));
          b.append(el('small', null, parts.join(' · ')));
        }
        b.disabled = !e;
        b.title = e ? this.describe(i) + (e.q ? '\n' + this.qualityText(e.q) : '') : 'not in this image';
        b.addEventListener('click', (ev) => this.pick(i, ev.shiftKey));
        this.buttons.append(b);
      });
    }

    qualityText(q) {
      return METRICS.filter(([k]) => q[k] !== undefined)
        .map(([k, name, digits]) => `${name} ${q[k].toFixed(digits)}`).join(', ');
    }

    // The label a version is shown with; an upscaled one says so.
    describe(v) {
      const e = this.entry(v);
      const label = this.data.versions[v] ? this.data.versions[v].label : '';
      if (e && e.scale > 1) return `${label} (shown ×${scaleText(e.scale)}, nearest)`;
      return label;
    }

    buildMetrics() {
      const versions = this.data.versions;
      const cols = METRICS.filter(([k]) =>
        this.data.images.some((img) => img.v.some((e) => e && e.q && e.q[k] !== undefined)));
      this.metrics.textContent = '';
      if (!cols.length) return;
      const table = (title, rowFor) => {
        const t = el('table');
        const head = el('tr');
        head.append(el('th', null, title));
        cols.forEach(([, name]) => head.append(el('th', null, name)));
        t.append(head);
        const rows = versions.map((v, i) => [v, rowFor(i)]).filter(([, q]) => q);
        const best = {};
        cols.forEach(([k]) => { best[k] = Math.max(...rows.map(([, q]) => (q[k] === undefined ? -Infinity : q[k]))); });
        for (const [v, q] of rows) {
          const tr = el('tr');
          tr.append(el('td', null, v.label));
          cols.forEach(([k, , digits]) => {
            const td = el('td', null, q[k] === undefined ? '' : q[k].toFixed(digits));
            if (rows.length > 1 && q[k] === best[k]) td.className = 'pf-best';
            tr.append(td);
          });
          t.append(tr);
        }
        return t;
      };
      this.metrics.append(table('this image', (i) => (this.entry(i) || {}).q));
      const n = this.data.images.length;
      this.metrics.append(table(`mean, ${n} image${n === 1 ? '' : 's'}`, (i) => {
        const qs = this.data.images.map((img) => img.v[i] && img.v[i].q).filter((q) => q);
        if (!qs.length) return null;
        const mean = {};
        cols.forEach(([k]) => {
          const vals = qs.map((q) => q[k]).filter((x) => x !== undefined);
          if (vals.length) mean[k] = vals.reduce((s, x) => s + x, 0) / vals.length;
        });
        return mean;
      }));
    }

    // A version button or number key: the shown version, or in slider mode a side.
    pick(v, left) {
      if (!this.entry(v)) return;
      if (!this.slider) {
        this.shown = v;
      } else if (left) {
        if (v === this.b) this.b = this.a;
        this.a = v;
      } else {
        if (v === this.a) this.a = this.b;
        this.b = v;
      }
      this.render();
    }

    setSlider(on) {
      if (on === this.slider) return;
      this.slider = on;
      if (on) {
        this.a = this.shown;
        this.b = this.defaultB(this.a);
        this.locked = false;
      } else {
        this.shown = this.b;
      }
      this.render();
    }

    viewSize() {
      return {w: this.view.clientWidth, h: this.view.clientHeight};
    }

    // The whole image in the view: the largest integer zoom that fits, or the fitting fraction
    // for images larger than the view.
    fit() {
      const img = this.current();
      if (!img) return;
      const {w, h} = this.viewSize();
      let z = Math.min(w / img.w, h / img.h);
      z = z >= 1 ? Math.min(64, Math.floor(z)) : z;
      this.zoom = z;
      this.tx = Math.round((w - img.w * z) / 2);
      this.ty = Math.round((h - img.h * z) / 2);
      this.frame = {w: img.w, h: img.h};
      this.render();
    }

    zoomAt(z, px, py) {
      z = Math.max(LEVELS[0], Math.min(LEVELS[LEVELS.length - 1], z));
      // The image point under (px, py) stays there.
      const u = (px - this.tx) / this.zoom, v = (py - this.ty) / this.zoom;
      this.zoom = z;
      this.tx = Math.round(px - u * z);
      this.ty = Math.round(py - v * z);
      this.render();
    }

    step(dir, px, py) {
      const z = this.zoom;
      const next = dir > 0 ? LEVELS.find((l) => l > z * 1.0001) : [...LEVELS].reverse().find((l) => l < z / 1.0001);
      if (next !== undefined) this.zoomAt(next, px, py);
    }

    local(e) {
      const r = this.view.getBoundingClientRect();
      return {x: e.clientX - r.left, y: e.clientY - r.top};
    }

    onWheel(e) {
      e.preventDefault();
      const p = this.local(e);
      this.step(e.deltaY < 0 ? 1 : -1, p.x, p.y);
    }

    onDown(e) {
      if (e.button !== 0) return;
      this.view.setPointerCapture(e.pointerId);
      const p = this.local(e);
      this.drag = {x: p.x, y: p.y, tx: this.tx, ty: this.ty, moved: false};
      this.view.classList.add('pf-dragging');
    }

    onMove(e) {
      const p = this.local(e);
      if (this.drag) {
        const dx = p.x - this.drag.x, dy = p.y - this.drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 2) this.drag.moved = true;
        if (this.drag.moved) {
          this.tx = Math.round(this.drag.tx + dx);
          this.ty = Math.round(this.drag.ty + dy);
          this.render();
        }
      } else if (this.slider && !this.locked) {
        this.split = p.x;
        this.render();
      }
    }

    onUp(e) {
      if (!this.drag) return;
      const click = !this.drag.moved;
      this.drag = null;
      this.view.classList.remove('pf-dragging');
      if (click && this.slider) {
        this.locked = !this.locked;
        this.split = this.local(e).x;
        this.render();
      }
    }

    onKey(e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target && e.target.tagName;
      if (t === 'INPUT' || t === 'SELECT' || t === 'TEXTAREA') return;
      if (!this.data.images.length) return;
      const digit = /^(Digit|Numpad)([1-9])$/.exec(e.code);
      const {w, h} = this.viewSize();
      if (digit) {
        this.pick(Number(digit[2]) - 1, e.shiftKey);
      } else if (e.code === 'KeyS') {
        this.setSlider(!this.slider);
      } else if (e.code === 'KeyL' && this.slider) {
        this.locked = !this.locked;
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowRight') {
        this.showImage(this.image + 1);
      } else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') {
        this.showImage(this.image - 1);
      } else if (e.key === '0') {
        this.fit();
      } else if (e.key === '+' || e.key === '=') {
        this.step(1, w / 2, h / 2);
      } else if (e.key === '-') {
        this.step(-1, w / 2, h / 2);
      } else {
        return;
      }
      e.preventDefault();
    }

    // Puts version v's picture into a layer at the shared zoom and offset.
    place(layer, v) {
      const e = this.entry(v), img = this.current();
      const im = e ? this.imgs.get(e.src) : null;
      if (!im) {
        layer.textContent = '';
        return;
      }
      if (layer.firstChild !== im) layer.replaceChildren(im);
      im.style.left = `${this.tx}px`;
      im.style.top = `${this.ty}px`;
      im.style.width = `${img.w * this.zoom}px`;
      im.style.height = `${img.h * this.zoom}px`;
      // Nearest-neighbour whenever a source pixel covers a screen pixel or more.
      im.classList.toggle('pf-pixelated', this.zoom * e.scale >= 1);
    }

    render() {
      const img = this.current();
      if (!img) return;
      const {w} = this.viewSize();
      const left = this.slider ? this.a : this.shown;
      this.place(this.layerA, left);
      this.tagA.textContent = this.describe(left);
      const split = this.slider && this.b !== this.a;
      this.layerB.style.display = split ? '' : 'none';
      this.splitLine.style.display = split ? '' : 'none';
      this.tagB.style.display = split ? '' : 'none';
      if (split) {
        if (this.split === null || this.split > w) this.split = Math.round(w / 2);
        this.place(this.layerB, this.b);
        this.layerB.style.clipPath = `inset(0 0 0 ${this.split}px)`;
        this.splitLine.style.left = `${this.split}px`;
        this.splitLine.classList.toggle('pf-locked', this.locked);
        this.tagB.textContent = this.describe(this.b);
      }
      [...this.buttons.children].forEach((b, i) => {
        b.classList.toggle('pf-on', !this.slider && i === this.shown);
        b.classList.toggle('pf-a', this.slider && i === this.a);
        b.classList.toggle('pf-b', this.slider && i === this.b);
      });
      this.modeButton.classList.toggle('pf-on', this.slider);
      this.zoomText.textContent = `${Math.round(this.zoom * 100)}%`;
    }

    // For tests and scripts: what is on screen, in CSS pixels of the page.
    state() {
      const r = this.view.getBoundingClientRect();
      const img = this.current();
      return {
        image: this.image, name: img ? img.name : null, slider: this.slider, shown: this.shown,
        a: this.a, b: this.b, zoom: this.zoom, tx: this.tx, ty: this.ty, split: this.split,
        locked: this.locked, view: {left: r.left, top: r.top, width: r.width, height: r.height},
        tagA: this.tagA.textContent, tagB: this.tagB.textContent,
      };
    }

    // Resolves when every picture of the current image has loaded and decoded.
    loaded() {
      return Promise.all([...this.imgs.values()].map((im) => im.decode().catch(() => null)));
    }
  }

  window.PFViewer = Viewer;
})();
