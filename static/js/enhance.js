/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Sort selects submit themselves.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Checkout: choosing another courier shows the new total at once (without JS the buyer
  // presses "Update total"). The expected total sent with the order follows what is shown, so
  // the server still refuses an amount the buyer has not seen.
  document.querySelectorAll("form[data-checkout-total]").forEach(function (form) {
    var number = new Intl.NumberFormat(document.documentElement.lang || "id", { maximumFractionDigits: 0 });
    var rupiah = function (amount) { return "Rp " + number.format(amount); };
    var shippingOut = form.querySelector("[data-shipping-total]");
    var totalOut = form.querySelector("[data-total]");
    var expected = form.querySelector("input[name=expected_total]");
    function update() {
      var shipping = 0;
      form.querySelectorAll("input[data-cost]:checked").forEach(function (radio) {
        shipping += parseInt(radio.dataset.cost, 10);
      });
      var total = parseInt(form.dataset.checkoutTotal, 10) + shipping;
      shippingOut.textContent = rupiah(shipping);
      totalOut.textContent = rupiah(total);
      expected.value = String(total);
    }
    form.querySelectorAll("input[data-cost]").forEach(function (radio) {
      radio.addEventListener("change", update);
    });
  });

  // Region pickers: choosing a level loads the next one from /regions/<code>.
  document.querySelectorAll("[data-region-picker]").forEach(function (picker) {
    var selects = Array.prototype.slice.call(picker.querySelectorAll("select[data-level]"));
    selects.forEach(function (select, index) {
      select.addEventListener("change", function () {
        for (var i = index + 1; i < selects.length; i++) {
          selects[i].length = 1;
        }
        var next = selects[index + 1];
        if (!next || !select.value) { return; }
        fetch("/regions/" + encodeURIComponent(select.value), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            items.forEach(function (item) { next.add(new Option(item.name, item.code)); });
            next.focus();
          });
      });
    });
  });

  // Search box: suggestions as links under the box while typing (the form works without).
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var box = input.form.querySelector(".suggestions");
    var list = box.querySelector("ul");
    var timer = null;
    var asked = "";
    function hide() { box.hidden = true; }
    function show(items) {
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = item.url;
        a.textContent = item.title;
        li.appendChild(a);
        list.appendChild(li);
      });
      box.hidden = items.length === 0;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { hide(); return; }
      timer = setTimeout(function () {
        asked = q;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) { if (asked === input.value.trim()) { show(items); } })
          .catch(hide);
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && !box.hidden) {
        e.preventDefault();
        list.querySelector("a").focus();
      } else if (e.key === "Escape") { hide(); }
    });
    list.addEventListener("keydown", function (e) {
      var links = Array.prototype.slice.call(list.querySelectorAll("a"));
      var i = links.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? links[i - 1] : input).focus(); }
      if (e.key === "Escape") { hide(); input.focus(); }
    });
  });

  // Copy buttons for read-only fields marked data-copy (without JS the text can be selected).
  if (navigator.clipboard) {
    document.querySelectorAll("[data-copy]").forEach(function (field) {
      var button = document.createElement("button");
      var status = document.createElement("span");
      button.type = "button";
      button.className = "small secondary";
      button.textContent = field.dataset.copy;
      status.className = "copy-status";
      status.setAttribute("role", "status");
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          status.textContent = field.dataset.copied;
        }, function () { field.select(); });
      });
      field.after(button, status);
    });
  }
})();
