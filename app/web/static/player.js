// The recording player: the picture is an MJPEG stream from the server,
// restarted at the chosen position and speed; paused, it is one frame.
(function () {
  const root = document.getElementById('player');
  const pic = document.getElementById('picture');
  const btn = document.getElementById('playpause');
  const line = document.getElementById('timeline');
  const speedSel = document.getElementById('speed');
  const clock = document.getElementById('clock');
  const name = encodeURIComponent(root.dataset.name);
  const start = Number(root.dataset.start);
  const duration = Number(root.dataset.duration);
  let pos = 0, playing = false, since = 0, from = 0;

  function speed() { return Number(speedSel.value); }
  function current() { return playing ? Math.min(from + (performance.now() - since) * speed(), duration) : pos; }
  function show() {
    const t = current();
    line.value = t;
    clock.textContent = new Date(start + t).toISOString().replace('T', ' ').replace('Z', ' UTC');
    root.dataset.position = Math.round(t);
  }
  function play() {
    from = pos; since = performance.now(); playing = true;
    pic.src = '/recordings/' + name + '/play.mjpg?t=' + Math.round(pos) + '&speed=' + speed();
    btn.textContent = 'Pause';
  }
  function pause() {
    pos = current(); playing = false;
    pic.src = '/recordings/' + name + '/frame.jpg?t=' + Math.round(pos);
    btn.textContent = 'Play';
  }
  btn.addEventListener('click', function () { playing ? pause() : play(); });
  speedSel.addEventListener('change', function () { if (playing) { pos = current(); play(); } });
  line.addEventListener('input', function () {
    pos = Number(line.value);
    if (playing) { play(); } else { pic.src = '/recordings/' + name + '/frame.jpg?t=' + Math.round(pos); }
    show();
  });
  setInterval(function () { if (playing && current() >= duration) { pause(); } show(); }, 250);
  show();
})();
