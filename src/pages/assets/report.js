// The training report's page logic: charts (uPlot) and the validation-image viewer, fed by
// data.js, which calls pfReport(data) and is re-read every few seconds (?refresh=SECONDS) with a
// fresh <script> element, the way a page from file:// can reload local data.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const REFRESH_S = Number(params.get('refresh')) || 5;
  const COLORS = ['#4aa3ff', '#f0a030', '#8fd18f', '#e05d8a', '#b38cff', '#4fd1c5', '#e8e8e8'];
  const AXIS = {stroke: '#9aa3b2', grid: {stroke: '#2c3038', width: 1}, ticks: {stroke: '#2c3038'}};
  // Learning rates are 1e-4-ish: uPlot's default ticks would all read 0.
  const tick = (v) => (v === null ? '' : v === 0 ? '0' : Math.abs(v) < 0.01 ? v.toExponential(1) : String(+v.toPrecision(4)));
  const Y_AXIS = Object.assign({}, AXIS, {values: (u, splits) => splits.map(tick), size: 56});
  const charts = {};
  let generated = null;
  const viewer = new PFViewer(document.getElementById('viewer'));

  function duration(s) {
    if (s === null || s === undefined || !isFinite(s)) return '–';
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  }

  // Markers on every point while there are few enough to tell apart.
  function showPoints(u) {
    return u.data[0].length <= 120;
  }

  function series(label, i, scale) {
    const c = COLORS[i % COLORS.length];
    return {label, stroke: c, width: 1.5, scale, spanGaps: true,
      points: {show: showPoints, size: 7, fill: c, stroke: c}};
  }

  // Creates the chart, or hands it new data when its series are the same.
  function chart(key, title, x, columns, scales) {
    const box = document.getElementById(`chart-${key}`);
    const labels = columns.map((c) => c.label).join('\n');
    const data = [x, ...columns.map((c) => c.values)];
    if (!x.length || !columns.length) {
      if (charts[key]) charts[key].destroy();
      delete charts[key];
      box.innerHTML = `<div class="none">${title}: nothing logged yet</div>`;
      return;
    }
    const old = charts[key];
    if (old && old.pfLabels === labels) {
      old.setData(data);
      return;
    }
    if (old) old.destroy();
    box.textContent = '';
    const axes = [AXIS, Object.assign({}, Y_AXIS, {scale: columns[0].scale, label: columns[0].unit || ''})];
    const right = columns.find((c) => c.scale !== columns[0].scale);
    if (right)
      axes.push(Object.assign({}, Y_AXIS, {scale: right.scale, side: 1, label: right.unit || '', grid: {show: false}}));
    const u = new uPlot({
      title, width: Math.max(300, box.clientWidth - 8), height: 240,
      scales: Object.assign({x: {time: false}}, scales),
      series: [{label: 'iter'}, ...columns.map((c, i) => series(c.label, i, c.scale))],
      axes,
      legend: {live: true},
    }, data, box);
    u.pfLabels = labels;
    charts[key] = u;
  }

  function positive(cols) {
    return cols.every((c) => c.values.every((v) => v === null || v > 0));
  }

  function render(d) {
    const t = d.train, v = d.val;
    const losses = Object.keys(t.losses).map((k) => ({label: k, values: t.losses[k], scale: 'y'}));
    // Losses span decades: a log axis when every value allows it.
    chart('loss', 'Losses', t.iter, losses, {y: positive(losses) ? {distr: 3} : {}});
    const metrics = Object.keys(v.metrics).map((k) => ({
      label: k, values: v.metrics[k], scale: /psnr/i.test(k) ? 'db' : 'm',
      unit: /psnr/i.test(k) ? 'dB' : '',
    }));
    metrics.sort((a, b) => (a.scale === b.scale ? 0 : a.scale === 'db' ? -1 : 1));
    chart('val', 'Validation', v.iter, metrics, {});
    chart('lr', 'Learning rate', t.iter, [{label: 'lr', values: t.lr, scale: 'y'}], {});
    const speed = [{label: 'it/s', values: t.it_per_s, scale: 'y'}];
    if (t.data_wait_share.some((x) => x !== null))
      speed.push({label: 'data wait share', values: t.data_wait_share, scale: 'share'});
    chart('speed', 'Speed', t.iter, speed, {share: {range: [0, 1]}});

    const parts = [];
    if (d.last) {
      parts.push(`<b>iter ${d.last.iter}</b>`);
      if (d.last.it_per_s !== null) parts.push(`${d.last.it_per_s.toFixed(2)} it/s`);
      parts.push(`elapsed ${duration(d.last.elapsed_s)}`, `ETA ${duration(d.last.eta_s)}`);
      if (d.last.time !== null) parts.push(`last line ${new Date(d.last.time * 1000).toLocaleString()}`);
    }
    const psnr = v.metrics.psnr;
    if (psnr && psnr.some((x) => x !== null)) {
      let best = -1;
      psnr.forEach((x, i) => { if (x !== null && (best < 0 || x > psnr[best])) best = i; });
      parts.push(`best PSNR <b>${psnr[best].toFixed(2)} dB</b> at iter ${v.iter[best]}`);
    }
    parts.push(`page data from ${new Date(d.generated * 1000).toLocaleTimeString()}, re-read every ${REFRESH_S} s`);
    document.getElementById('status').innerHTML = parts.join(' · ');
    viewer.setData(d.viewer);
  }

  window.pfReport = function (d) {
    if (d.generated === generated) return;
    generated = d.generated;
    render(d);
  };

  function reload() {
    const s = document.createElement('script');
    s.src = `data.js?t=${Date.now()}`;
    s.onload = s.onerror = () => s.remove();
    document.head.append(s);
  }
  setInterval(reload, REFRESH_S * 1000);
  window.addEventListener('resize', () => {
    for (const key of Object.keys(charts)) {
      const box = document.getElementById(`chart-${key}`);
      charts[key].setSize({width: Math.max(300, box.clientWidth - 8), height: 240});
    }
  });
  window.pfViewer = viewer;
  window.pfCharts = charts;
})();
