/* Gongzhi pages: charts (Apache ECharts, vendored) and progress polling. No inline script anywhere:
   the Content Security Policy allows scripts from our own static files only. */
(function () {
  "use strict";

  var charts = [];

  function initCharts() {
    if (typeof window.echarts === "undefined") return;
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var option;
      try { option = JSON.parse(el.getAttribute("data-chart")); } catch (e) { return; }
      // The tooltip is drawn inside the canvas: an HTML tooltip would need style attributes, which the CSP refuses.
      option.tooltip = Object.assign({ trigger: "axis", renderMode: "richText", confine: true }, option.tooltip || {});
      option.aria = { enabled: true };
      option.animation = false;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      var target = el.getAttribute("data-href-base");
      if (target) {
        chart.on("click", function (params) {
          var id = (params.data && params.data.id) || null;
          if (id) window.location.href = target.replace("0", String(id));
        });
      }
      charts.push(chart);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
    });
  }

  /* An element with data-poll="<url>" asks the url every few seconds for {state, progress, done, html?}:
     the progress bar and the text follow, and the page reloads once the work is done. */
  function initPolling() {
    document.querySelectorAll("[data-poll]").forEach(function (el) {
      var url = el.getAttribute("data-poll");
      var every = parseInt(el.getAttribute("data-every") || "1500", 10);
      var bar = el.querySelector("progress");
      var label = el.querySelector("[data-state]");
      function tick() {
        fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (bar && typeof data.progress === "number") { bar.value = data.progress; bar.textContent = data.progress + "%"; }
            if (label && data.state_display) label.textContent = data.state_display;
            if (data.done) { window.location.reload(); return; }
            setTimeout(tick, every);
          })
          .catch(function () { setTimeout(tick, every * 2); });
      }
      setTimeout(tick, every);
    });
  }

  /* A live figure: data-live="<url>" answers {key: text}; each [data-key] inside is refreshed. */
  function initLive() {
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var url = el.getAttribute("data-live");
      var every = parseInt(el.getAttribute("data-every") || "4000", 10);
      function tick() {
        fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            el.querySelectorAll("[data-key]").forEach(function (node) {
              var key = node.getAttribute("data-key");
              if (key in data) node.textContent = data[key];
            });
            setTimeout(tick, every);
          })
          .catch(function () { setTimeout(tick, every * 2); });
      }
      setTimeout(tick, every);
    });
  }

  /* Print buttons (window.print needs a script; an inline handler would break the CSP). */
  function initPrint() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  /* Confirm before a form that cannot be undone is sent. */
  function initConfirm() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  function ready() { initCharts(); initPolling(); initLive(); initPrint(); initConfirm(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
