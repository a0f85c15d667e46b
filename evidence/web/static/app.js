// Small and local: progress polling, seeking the player, sending the recording with a progress bar,
// drag-and-drop of the recording anywhere on the page.
(function () {
  "use strict";
  // Every request from here carries the page's token, as its forms do: the server refuses a change without it.
  var token = document.querySelector("meta[name=csrf-token]");
  var tokenValue = token ? token.content : "";
  var send = function (url) {
    return fetch(url, {headers: {"X-CSRF-Token": tokenValue}});
  };
  var player = document.getElementById("player");
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-seek]");
    if (!target || !player || target.tagName === "LI") return;
    event.preventDefault();
    player.currentTime = parseFloat(target.getAttribute("data-seek"));
    player.play().catch(function () {});
  });
  if (player) {
    var lines = Array.prototype.slice.call(document.querySelectorAll("li.line"));
    player.addEventListener("timeupdate", function () {
      var now = player.currentTime, current = null;
      lines.forEach(function (line) { if (parseFloat(line.dataset.seek) <= now + 0.05) current = line; });
      lines.forEach(function (line) { line.classList.toggle("playing", line === current); });
    });
  }

  // Placed from here, not by style attributes: the page's Content-Security-Policy allows no inline styles.
  document.querySelectorAll(".timeline .mark[data-at]").forEach(function (mark) {
    mark.style.left = mark.getAttribute("data-at") + "%";
  });

  var progress = document.getElementById("progress");
  if (progress && ["waiting", "queued", "running"].indexOf(progress.dataset.state) >= 0) {
    var order = ["fingerprint", "decode", "analysis", "transcription", "speakers", "bundle"];
    var poll = function () {
      send("/jobs/" + progress.dataset.job + "/status").then(function (r) { return r.json(); }).then(function (s) {
        if (s.state === "done" || s.state === "failed") { window.location.reload(); return; }
        var queue = document.getElementById("queue");
        queue.hidden = s.state !== "waiting";
        if (s.queue_position) document.getElementById("position").textContent = s.queue_position;
        document.getElementById("bar").value = s.fraction;
        var at = order.indexOf(s.stage);
        document.querySelectorAll("ol.stages li").forEach(function (li, i) {
          li.classList.toggle("done", i < at); li.classList.toggle("now", i === at);
        });
        var left;
        if (s.quiet_s > 15) {
          left = "still working (no step finished in the last " + Math.round(s.quiet_s) + " s; long stretches of speech take a while)";
        } else if (s.eta_s === null) {
          left = "estimating the time left …";
        } else {
          left = "about " + (s.eta_s < 90 ? Math.round(s.eta_s) + " s" : Math.round(s.eta_s / 60) + " min") + " left";
        }
        document.getElementById("eta").textContent = s.state === "waiting" ? "Waiting for its turn …" :
          s.stage ? Math.round(100 * s.fraction) + "% · " + s.stage + " · " + left : "starting …";
        setTimeout(poll, 1000);
      }).catch(function () { setTimeout(poll, 3000); });
    };
    poll();
  }

  // A file dropped anywhere is taken as the recording on the form, and elsewhere it is ignored: the
  // browser would otherwise leave the page to show the file.
  var input = document.getElementById("recording");
  var dragging = function (on) { document.body.classList.toggle("dragging", on); };
  document.addEventListener("dragover", function (e) { e.preventDefault(); if (input) dragging(true); });
  document.addEventListener("dragleave", function (e) { if (!e.relatedTarget) dragging(false); });
  document.addEventListener("drop", function (e) {
    e.preventDefault();
    dragging(false);
    if (input && e.dataTransfer && e.dataTransfer.files.length) input.files = e.dataTransfer.files;
  });

  // Sent from here to show how much has gone; without this script the form is sent as a plain form.
  var form = document.getElementById("new-job");
  if (form && window.XMLHttpRequest && window.FormData) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var box = document.getElementById("upload"), bar = document.getElementById("upload-bar");
      var text = document.getElementById("upload-text"), error = document.getElementById("form-error");
      var button = document.getElementById("start");
      var request = new XMLHttpRequest();
      var megabytes = function (n) { return (n / 1048576).toFixed(n < 10485760 ? 1 : 0) + " MB"; };
      request.open("POST", form.action);
      request.setRequestHeader("X-CSRF-Token", tokenValue);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (p) {
        if (!p.lengthComputable) return;
        bar.value = p.loaded / p.total;
        text.textContent = p.loaded < p.total ? "Sending the recording: " + megabytes(p.loaded) + " of " + megabytes(p.total) :
          "Sent; checking the file …";
      });
      request.addEventListener("load", function () {
        if (request.status < 400) { window.location.assign(request.responseURL); return; }
        var message = "The examination could not be started.";
        try { message = JSON.parse(request.responseText).error || message; } catch (ignored) {}
        error.textContent = message;
        error.hidden = false;
        box.hidden = true;
        button.disabled = false;
        error.scrollIntoView();
      });
      request.addEventListener("error", function () {
        error.textContent = "The recording could not be sent: the connection to this computer's evidence server was lost. Is it still running?";
        error.hidden = false;
        box.hidden = true;
        button.disabled = false;
      });
      error.hidden = true;
      box.hidden = false;
      button.disabled = true;
      request.send(new FormData(form));
    });
  }
})();
