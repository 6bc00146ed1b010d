/* The live board keeps itself current: every few seconds it asks the state endpoint whether
   anything changed (If-None-Match with the last ETag). Nothing changed: an empty 304. Something
   did: the new grid, which replaces the old one. Short requests only, so an open board never
   holds a server worker. Without this file the "Refresh" link does the same by hand. */
(function () {
  "use strict";
  var root = document.querySelector("[data-board-state]");
  if (!root || !window.fetch || !window.DOMParser) { return; }
  var url = root.getAttribute("data-board-state");
  var etag = root.getAttribute("data-etag") || "";
  var seconds = parseInt(root.getAttribute("data-poll-seconds"), 10) || 3;
  var status = document.querySelector("[data-board-status]");
  var busy = false;

  function show(text) {
    if (status && status.textContent !== text) { status.textContent = text; }
  }

  function replaceGrid(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board-grid");
    var current = document.getElementById("board-grid");
    if (!fresh || !current) { throw new Error("no board in the answer"); }
    current.replaceWith(document.importNode(fresh, true));
  }

  function poll() {
    if (busy) { return; }
    busy = true;
    var headers = { Accept: "text/html" };
    if (etag) { headers["If-None-Match"] = etag; }
    // no-store: the 304 comes to this code as it is, not turned into the browser's cached copy.
    fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error("status " + response.status); }
        etag = response.headers.get("ETag") || "";
        return response.text();
      })
      .then(function (html) {
        if (html !== null) { replaceGrid(html); }
        show("");
      })
      .catch(function () { show(root.getAttribute("data-offline") || "…"); })
      .then(function () { busy = false; });
  }

  window.setInterval(poll, seconds * 1000);
})();
