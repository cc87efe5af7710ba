// xuepei — our own script. Pages work without it; it adds lazy tree loading,
// confirmations, inline checks and the phone menu. No inline handlers (CSP).
(function () {
  "use strict";

  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-toggle]");
    if (t) {
      var el = document.getElementById(t.getAttribute("data-toggle"));
      if (el) el.classList.toggle("open");
    }
    var back = e.target.closest("[data-back]");
    if (back && window.history.length > 1) {
      e.preventDefault();
      window.history.back();
    }
    var c = e.target.closest("[data-confirm]");
    // A form that is not filled in yet says so first; the question comes when it is.
    if (c && c.form && !c.form.checkValidity()) return;
    if (c && !window.confirm(c.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });

  // A box marked data-check-all="NAME" ticks or clears every box of that name in its form.
  document.addEventListener("change", function (e) {
    var all = e.target;
    if (!all.dataset || !all.dataset.checkAll || !all.form) return;
    all.form.querySelectorAll('input[type="checkbox"][name="' + all.dataset.checkAll + '"]').forEach(function (b) {
      b.checked = all.checked;
    });
  });

  // Tree: load a node's children the first time it is opened.
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!(d instanceof HTMLDetailsElement) || !d.open || d.dataset.loaded || !d.dataset.children) return;
    d.dataset.loaded = "1";
    var list = d.querySelector("ul.tree");
    if (!list) {
      list = document.createElement("ul");
      list.className = "tree";
      d.appendChild(list);
    }
    list.innerHTML = '<li class="loading">正在加载…</li>';
    fetch(d.dataset.children, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) {
        // A session that ended answers with the sign-in page: go there and come back.
        if (r.redirected && new URL(r.url).pathname === "/login") {
          window.location.assign("/login?expired=1&next=" + encodeURIComponent(location.pathname + location.search));
          throw new Error("expired");
        }
        if (!r.ok) throw new Error(r.status);
        return r.text();
      })
      .then(function (html) { list.innerHTML = html; })
      .catch(function () { list.innerHTML = '<li class="loading">加载失败，请刷新页面重试</li>'; delete d.dataset.loaded; });
  }, true);

  // Inline checks: the same rules the server applies, shown while typing.
  var W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], C = "10X98765432";
  function idMessage(v) {
    v = v.replace(/\s/g, "").toUpperCase();
    if (!v) return "";
    if (v.length === 15 && /^\d{15}$/.test(v)) return "";
    if (v.length !== 18) return "应为18位，当前" + v.length + "位";
    if (!/^\d{17}[\dX]$/.test(v)) return "只能包含数字，最后一位可以是X";
    var s = 0;
    for (var i = 0; i < 17; i++) s += (+v[i]) * W[i];
    if (C[s % 11] !== v[17]) return "校验位不正确（按前17位计算应为" + C[s % 11] + "）";
    return "";
  }
  function phoneMessage(v) {
    var d = v.replace(/[\s\-()（）]/g, "").replace(/^\+?86(?=1\d{10}$)/, "");
    if (!d) return "";
    if (/^1[3-9]\d{9}$/.test(d) || /^0\d{9,11}$/.test(d)) return "";
    return "手机号应为11位，固定电话应带区号";
  }
  document.addEventListener("input", function (e) {
    var el = e.target, kind = el.dataset && el.dataset.check;
    if (!kind) return;
    var msg = kind === "idcard" ? idMessage(el.value) : phoneMessage(el.value);
    var field = el.closest(".field"), err = field && field.querySelector(".err");
    if (err) err.textContent = msg;
    if (field) field.classList.toggle("invalid", !!msg);
  });

  // A session that ends while a form is open: what was typed is kept in this tab and put
  // back once the user has signed in again and returns to the page (never passwords,
  // tokens or files; only for two hours).
  var DRAFT = "xp-draft:", RESTORE = "xp-restore";
  function dropDrafts() {
    Object.keys(sessionStorage).forEach(function (k) { if (k.indexOf(DRAFT) === 0) sessionStorage.removeItem(k); });
  }
  function keepDraft(form) {
    if (form.action.indexOf("/login") >= 0 || !window.sessionStorage) return;
    // Signing out leaves nothing typed behind for whoever uses the browser next.
    if (form.action.indexOf("/logout") >= 0) { dropDrafts(); return; }
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "_csrf" || el.type === "password" || el.type === "file") return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      fields.push([el.name, el.value]);
    });
    var draft = { at: Date.now(), user: document.body.dataset.user || "", fields: fields };
    try { sessionStorage.setItem(DRAFT + location.pathname, JSON.stringify(draft)); } catch (err) { /* full */ }
  }
  function restoreDraft() {
    if (!window.sessionStorage) return;
    var params = new URLSearchParams(location.search);
    if (location.pathname === "/login") {
      if (params.get("next")) sessionStorage.setItem(RESTORE, params.get("next").split("?")[0]);
      return;
    }
    var wanted = sessionStorage.getItem(RESTORE), raw = sessionStorage.getItem(DRAFT + location.pathname);
    sessionStorage.removeItem(RESTORE);
    if (wanted !== location.pathname || !raw) {
      // The form went through (or the sign-in led elsewhere): its draft is done with.
      dropDrafts();
      return;
    }
    sessionStorage.removeItem(DRAFT + location.pathname);
    var draft = JSON.parse(raw);
    // Only the account that typed it gets it back.
    if (!draft || draft.user !== (document.body.dataset.user || "") || Date.now() - draft.at > 2 * 3600 * 1000) return;
    var form = document.querySelector("main form[method=post]");
    if (!form) return;
    var ticked = {};
    draft.fields.forEach(function (f) {
      var els = form.querySelectorAll('[name="' + f[0].replace(/"/g, "") + '"]');
      els.forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          if (!ticked[f[0]]) { els.forEach(function (x) { x.checked = false; }); ticked[f[0]] = true; }
          if (el.value === f[1]) el.checked = true;
        } else if (el.type !== "hidden") {
          el.value = f[1];
        }
      });
    });
    var note = document.createElement("div");
    note.className = "notice ok";
    note.setAttribute("role", "status");
    note.textContent = "已恢复登录过期前填写的内容，请核对后再提交。";
    form.parentNode.insertBefore(note, form);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", restoreDraft); else restoreDraft();

  // The organisation picker: typing in a field marked data-pick="org" offers the
  // organisations of the user's scope whose name or code begins so (a datalist).
  var pickTimer = null;
  document.addEventListener("input", function (e) {
    var el = e.target;
    if (!el.dataset || el.dataset.pick !== "org") return;
    var list = document.getElementById(el.getAttribute("list") || "");
    if (!list) {
      list = document.createElement("datalist");
      list.id = "pick-" + (el.name || "org");
      el.parentNode.appendChild(list);
      el.setAttribute("list", list.id);
    }
    clearTimeout(pickTimer);
    var q = el.value.trim();
    if (!q || q.indexOf("（") >= 0) return;
    pickTimer = setTimeout(function () {
      fetch("/orgs/pick?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok && !r.redirected ? r.json() : []; })
        .then(function (items) {
          list.innerHTML = "";
          items.forEach(function (o) {
            var opt = document.createElement("option");
            opt.value = o.value;
            opt.label = o.label;
            list.appendChild(opt);
          });
        })
        .catch(function () { /* the field still takes a typed code or name */ });
    }, 200);
  });

  // A form sent once: its buttons wait for the answer, so a second click sends nothing
  // twice. Disabled after the submit is under way, so the button's own value still posts.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    keepDraft(form);
    // A download leaves the page as it is.
    if (form.hasAttribute("data-download")) return;
    if (form.dataset.job) watchJob(form);
    setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.disabled = true;
        b.classList.add("busy");
      });
    }, 0);
  });
  // Coming back to a page from the browser's history shows its buttons usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button.busy").forEach(function (b) { b.disabled = false; b.classList.remove("busy"); });
    document.querySelectorAll("[data-progress]").forEach(function (p) { p.hidden = true; });
  });

  // A long import: say how far it has come while the answer is awaited. The server
  // process that runs it answers; another one (behind a balancer) answers "unknown", and
  // the line then just says the job is running.
  function watchJob(form) {
    var line = form.querySelector("[data-progress]");
    if (!line) return;
    line.hidden = false;
    line.textContent = "正在上传并处理，请稍候……";
    var url = "/import/progress/" + encodeURIComponent(form.dataset.job);
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (p && p.stage === "reading" && p.rows > 0) line.textContent = "正在读取并检查：已处理" + p.rows + "行……";
          else if (p && p.stage === "writing") line.textContent = "已读取" + p.rows + "行，正在与已有数据核对，请稍候……";
          else if (p && p.stage === "done") line.textContent = "处理完成，正在打开结果……";
        })
        .catch(function () {})
        .then(function () { setTimeout(poll, 1000); });
    }
    setTimeout(poll, 500);
  }

  // Uploads: say at once when a file is over the limit.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.type !== "file" || !el.dataset.maxBytes || !el.files || !el.files[0]) return;
    if (el.files[0].size > +el.dataset.maxBytes) {
      window.alert("文件超过上传大小限制（" + Math.round(+el.dataset.maxBytes / 1048576) + "MB），请拆分后分批导入");
      el.value = "";
    }
  });
})();
