// Filters for the goroutine groups. Reads only data attributes and form
// values; writes only textContent, `hidden` and option elements. The initial
// filter comes from the query string: ?q=text&state=chan%20send&pkg=main.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var groups = Array.prototype.slice.call(document.querySelectorAll("#groups .group"));
  var q = form.elements.q, state = form.elements.state, pkg = form.elements.pkg, shown = form.elements.shown;

  function fill(select, values) {
    values.sort().forEach(function (v) {
      var o = document.createElement("option");
      o.value = v;
      o.textContent = v;
      select.appendChild(o);
    });
  }
  var states = {}, pkgs = {};
  groups.forEach(function (g) {
    states[g.getAttribute("data-state")] = true;
    (g.getAttribute("data-pkgs") || "").split(" ").forEach(function (p) { if (p) { pkgs[p] = true; } });
  });
  fill(state, Object.keys(states));
  fill(pkg, Object.keys(pkgs));

  function apply() {
    var text = q.value.trim().toLowerCase(), n = 0;
    groups.forEach(function (g) {
      var ok = (!state.value || g.getAttribute("data-state") === state.value) &&
        (!pkg.value || (" " + g.getAttribute("data-pkgs") + " ").indexOf(" " + pkg.value + " ") >= 0) &&
        (!text || g.getAttribute("data-text").indexOf(text) >= 0);
      g.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = n + " of " + groups.length + " groups";
    document.body.setAttribute("data-shown", String(n));
  }

  var params = new URLSearchParams(window.location.search);
  q.value = params.get("q") || "";
  [[state, params.get("state")], [pkg, params.get("pkg")]].forEach(function (p) {
    if (p[1] !== null) { p[0].value = p[1]; }
  });
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  // A link to a group the filter hides clears the filter first.
  window.addEventListener("hashchange", function () {
    var t = document.getElementById(window.location.hash.slice(1));
    if (t && t.hidden) {
      q.value = ""; state.value = ""; pkg.value = "";
      apply();
      t.scrollIntoView();
    }
  });
  form.hidden = false;
  apply();
}());
