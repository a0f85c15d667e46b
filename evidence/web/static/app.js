// Small and local: progress polling, seeking the player, drag-and-drop of the recording.
(function () {
  "use strict";
  // Every request from here carries the page's token, as its forms do: the server refuses a change without it.
  var token = document.querySelector("meta[name=csrf-token]");
  var send = function (url) {
    return fetch(url, {headers: {"X-CSRF-Token": token ? token.content : ""}});
  };
  var player = document.getElementById("player");
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-seek]");
    if (!target || !player || target.tagName === "TR") return;
    event.preventDefault();
    player.currentTime = parseFloat(target.getAttribute("data-seek"));
    player.play().catch(function () {});
  });
  if (player) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.line"));
    player.addEventListener("timeupdate", function () {
      var now = player.currentTime, current = null;
      rows.forEach(function (row) { if (parseFloat(row.dataset.seek) <= now + 0.05) current = row; });
      rows.forEach(function (row) { row.classList.toggle("playing", row === current); });
    });
  }

  // Placed from here, not by style attributes: the page's Content-Security-Policy allows no inline styles.
  document.querySelectorAll(".timeline .mark[data-at]").forEach(function (mark) {
    mark.style.left = mark.getAttribute("data-at") + "%";
  });

  var progress = document.getElementById("progress");
  if (progress && (progress.dataset.state === "queued" || progress.dataset.state === "running")) {
    var order = ["fingerprint", "decode", "analysis", "transcription", "speakers", "bundle"];
    var poll = function () {
      send("/jobs/" + progress.dataset.job + "/status").then(function (r) { return r.json(); }).then(function (s) {
        if (s.state === "done" || s.state === "failed") { window.location.reload(); return; }
        document.getElementById("bar").value = s.fraction;
        var at = order.indexOf(s.stage);
        document.querySelectorAll("ol.stages li").forEach(function (li, i) {
          li.classList.toggle("done", i < at); li.classList.toggle("now", i === at);
        });
        var eta = s.eta_s === null ? "estimating the time left …" :
          "about " + (s.eta_s < 90 ? Math.round(s.eta_s) + " s" : Math.round(s.eta_s / 60) + " min") + " left";
        document.getElementById("eta").textContent = s.stage ?
          Math.round(100 * s.fraction) + "% · " + s.stage + " · " + eta : "waiting to start …";
        setTimeout(poll, 1000);
      }).catch(function () { setTimeout(poll, 3000); });
    };
    poll();
  }

  var drop = document.querySelector(".drop"), input = document.getElementById("recording");
  if (drop && input) {
    ["dragenter", "dragover"].forEach(function (n) {
      drop.addEventListener(n, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (n) {
      drop.addEventListener(n, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) { e.preventDefault(); input.files = e.dataTransfer.files; });
  }
})();
