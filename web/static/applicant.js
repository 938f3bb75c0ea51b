// biopilot applicant portal: small enhancements over pages that work without it.
// Autosave with conflict merging, character counters, table rows, evidence uploads
// with progress, and the USCC check on the registration page.
"use strict";
(function () {
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var csrf = function () { var i = $("input[name=csrf_token]"); return i ? i.value : ""; };
  var chars = function (s) { return Array.from(s.replace(/\s/g, "")).length; };
  var el = function (tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    return e;
  };

  // --- Registration: check the USCC as it is typed, suggest the city. ---
  var uscc = $("#uscc");
  if (uscc) {
    var status = $("#uscc-status"), city = $("#city"), timer = 0;
    uscc.addEventListener("input", function () {
      clearTimeout(timer);
      var code = uscc.value.trim().toUpperCase();
      if (code.length < 18) { status.textContent = "已输入 " + code.length + "/18 位"; status.className = "hint"; return; }
      timer = setTimeout(function () {
        fetch("/api/v1/uscc/" + encodeURIComponent(code)).then(function (r) { return r.json(); }).then(function (j) {
          status.textContent = j.message + (j.suggested_city_name ? "；建议所在地市：" + j.suggested_city_name : "");
          status.className = j.valid ? "hint ok-text" : "msg";
          if (j.valid && j.suggested_city && city && !city.dataset.touched) city.value = j.suggested_city;
        });
      }, 150);
    });
    if (city) city.addEventListener("change", function () { city.dataset.touched = "1"; });
  }

  // --- Character counters (white space not counted). ---
  function countField(input) {
    var max = parseInt(input.getAttribute("data-max-chars"), 10);
    var c = document.querySelector('[data-counter-for="' + input.name + '"]');
    if (!c || !max) return;
    var n = chars(input.value);
    c.textContent = n + "/" + max + " 字" + (n > max ? "（超出 " + (n - max) + " 字）" : "");
    c.classList.toggle("over", n > max);
  }
  function countTable(fs) {
    var max = parseInt(fs.getAttribute("data-max-chars"), 10);
    var cols = (fs.getAttribute("data-char-columns") || "").split(" ");
    var c = fs.querySelector(".counter");
    if (!c || !max) return;
    var n = 0;
    $$("input[data-col], textarea[data-col]", fs).forEach(function (i) {
      if (cols.indexOf(i.getAttribute("data-col")) >= 0) n += chars(i.value);
    });
    c.textContent = n + "/" + max + " 字" + (n > max ? "（超出 " + (n - max) + " 字）" : "");
    c.classList.toggle("over", n > max);
  }

  var form = $("#editor-form");
  var saveStatus = $("#save-status");
  function setStatus(text, cls) { if (saveStatus) { saveStatus.textContent = text; saveStatus.className = "save-status " + (cls || ""); } }

  // --- Table rows: add, remove, reorder; names renumbered to the row order. ---
  function renumber(fs) {
    var key = fs.getAttribute("data-table");
    var rows = $$("tbody tr", fs);
    rows.forEach(function (tr, i) {
      $$("[name]", tr).forEach(function (inp) {
        inp.name = inp.name.replace(/\[\d+\]/, "[" + i + "]");
      });
      var num = tr.querySelector(".rownum");
      if (num) num.textContent = String(i + 1);
    });
    fs.querySelector(".row-count").value = String(rows.length);
    countTable(fs);
  }
  function rowButtons(tr, fs) {
    var td = tr.lastElementChild;
    if (td.querySelector(".row-tools")) return;
    var box = el("span", { "class": "row-tools" });
    // The page's own 上移/下移 buttons post the form; the script moves rows in place.
    $$(".nojs-move", td).forEach(function (x) { x.remove(); });
    [["上移", -1], ["下移", 1]].forEach(function (b) {
      var btn = el("button", { type: "button", "aria-label": b[0] + "此行", title: b[0] + "此行", "class": "small" }, b[0]);
      btn.addEventListener("click", function () {
        var sib = b[1] < 0 ? tr.previousElementSibling : tr.nextElementSibling;
        if (!sib) return;
        if (b[1] < 0) tr.parentNode.insertBefore(tr, sib); else tr.parentNode.insertBefore(sib, tr);
        renumber(fs); changed(); btn.focus();
      });
      box.appendChild(btn);
    });
    var del = el("button", { type: "button", "aria-label": "删除此行", title: "删除此行", "class": "small danger" }, "删除");
    del.addEventListener("click", function () { tr.remove(); renumber(fs); changed(); });
    box.appendChild(del);
    var chk = td.querySelector("label");
    if (chk) chk.hidden = true; // the script's 删除 replaces the no-script delete box
    td.appendChild(box);
  }
  function initTable(fs) {
    var tbody = fs.querySelector("tbody");
    var blank = tbody.querySelector("tr.blank");
    var proto = (blank || tbody.lastElementChild).cloneNode(true);
    $$("input, select", proto).forEach(function (i) { if (i.type === "checkbox") i.checked = false; else i.value = ""; });
    $$(".msg", proto).forEach(function (m) { m.remove(); });
    if (blank) blank.remove();
    $$("tr", tbody).forEach(function (tr) { rowButtons(tr, fs); });
    var add = el("button", { type: "button", "class": "add-row" }, "＋ 添加一行");
    add.addEventListener("click", function () {
      var tr = proto.cloneNode(true);
      tr.classList.remove("blank");
      tbody.appendChild(tr);
      rowButtons(tr, fs);
      renumber(fs);
      var first = tr.querySelector("input, select");
      if (first) first.focus();
    });
    fs.querySelector(".table-tools").prepend(add);
    renumber(fs);
  }

  // --- Autosave. ---
  var timer = 0, saving = null, dirty = false, SAVE_DELAY = 1500;
  function changed() {
    dirty = true;
    setStatus("有未保存的修改…", "pending");
    clearTimeout(timer);
    timer = setTimeout(save, SAVE_DELAY);
  }
  function baseInputs() { return $$("input[name=base_version]"); }
  function post(extra) {
    var body = new URLSearchParams(new FormData(form));
    Object.keys(extra || {}).forEach(function (k) { body.set(k, extra[k]); });
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf() }
    }).then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); });
  }
  function clearErrors() {
    $$(".msg.js", form).forEach(function (m) { m.remove(); });
    $$(".invalid", form).forEach(function (x) { x.classList.remove("invalid"); });
  }
  function showErrors(fields) {
    (fields || []).forEach(function (f) {
      var inp = form.querySelector('[name="' + CSS.escape(f.field) + '"]') ||
        form.querySelector('[data-key="' + CSS.escape(f.field.replace(/\[.*$/, "")) + '"]');
      var box = inp ? (inp.closest("td") || inp.closest(".field") || inp) : null;
      if (!box) return;
      box.classList.add("invalid");
      box.appendChild(el("p", { "class": "msg js", role: "alert" }, f.message));
    });
  }
  function applySaved(j) {
    baseInputs().forEach(function (i) { i.value = String(j.version); });
    var v = $("#version-label"); if (v) v.textContent = String(j.version);
    var nav = $("#edit-nav"); if (nav && j.nav_html) nav.outerHTML = j.nav_html;
    var chk = $("#edit-check"); if (chk && j.check_html) chk.outerHTML = j.check_html;
    setStatus("已保存 " + j.saved_at + (j.merged ? "（已合并同事的修改）" : ""), "ok-text");
  }
  function save(extra) {
    if (!form) return Promise.resolve();
    if (saving) { return saving.then(function () { return dirty ? save(extra) : null; }); }
    clearTimeout(timer);
    dirty = false;
    setStatus("正在保存…", "pending");
    saving = post(extra).then(function (res) {
      saving = null;
      var j = res.body;
      if (res.status === 200) {
        clearErrors();
        applySaved(j);
        if (j.merged && !dirty) return reloadForm();
      } else if (res.status === 409 && j.conflicts) {
        dirty = true;
        showConflicts(j);
      } else {
        dirty = true;
        clearErrors();
        showErrors(j.error && j.error.fields);
        setStatus("未保存：" + (j.error ? j.error.message : "保存失败"), "error-text");
      }
    }, function () {
      saving = null; dirty = true;
      setStatus("网络中断，未保存；恢复后将自动重试", "error-text");
      timer = setTimeout(save, 5000);
    });
    return saving;
  }
  // After a merge, show the merged document: swap in the server's form.
  function reloadForm() {
    return fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      if (dirty) return;
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.querySelector("#editor-form");
      if (!fresh) return;
      var status = saveStatus ? saveStatus.textContent : "";
      form.replaceWith(fresh);
      form = fresh;
      initForm();
      setStatus(status, "ok-text");
    });
  }

  // --- Conflicts: each field both changed, with both values; keep mine or take theirs. ---
  function showConflicts(j) {
    var panel = $("#conflict-panel");
    panel.innerHTML = "";
    panel.appendChild(el("h2", { id: "conflict-title" }, "保存冲突：同事修改了相同的字段"));
    panel.appendChild(el("p", {}, j.error.message));
    var table = el("table", { "class": "grid conflicts" });
    var head = el("tr");
    ["字段", "我的内容", "同事的内容"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    table.appendChild(el("thead")).appendChild(head);
    var tb = el("tbody");
    j.conflicts.forEach(function (c) {
      var tr = el("tr", { "data-key": c.key });
      tr.appendChild(el("th", { scope: "row" }, c.label));
      [["mine", "保留我的", c.mine_text], ["theirs", "采用对方的", c.theirs_text]].forEach(function (o, i) {
        var td = el("td"), lab = el("label", { "class": "choice" });
        var r = el("input", { type: "radio", name: "choose-" + c.key, value: o[0] });
        if (i === 0) r.checked = true;
        lab.appendChild(r); lab.appendChild(document.createTextNode(" " + o[1]));
        td.appendChild(lab); td.appendChild(el("div", { "class": "pre" }, o[2]));
        tr.appendChild(td);
      });
      tb.appendChild(tr);
    });
    table.appendChild(tb);
    panel.appendChild(table);
    var btn = el("button", { type: "button", "class": "primary", id: "conflict-merge" }, "按所选合并并保存");
    btn.addEventListener("click", function () {
      var extra = { "__resolve": String(j.current.version) };
      j.conflicts.forEach(function (c) {
        var r = panel.querySelector('input[name="choose-' + CSS.escape(c.key) + '"]:checked');
        extra["__choose." + c.key] = r ? r.value : "mine";
      });
      panel.hidden = true;
      save(extra).then(function () { if (!dirty) reloadForm(); });
    });
    panel.appendChild(btn);
    panel.hidden = false;
    setStatus("未保存：与同事的修改冲突，请在下方选择", "error-text");
    panel.scrollIntoView({ block: "center" });
    btn.focus();
  }

  function initForm() {
    $$("[data-max-chars]", form).forEach(function (i) {
      if (i.tagName === "FIELDSET") countTable(i); else countField(i);
    });
    $$("fieldset.table-field", form).forEach(initTable);
    form.addEventListener("input", function (ev) {
      var t = ev.target;
      if (t.hasAttribute && t.hasAttribute("data-max-chars")) countField(t);
      var fs = t.closest && t.closest("fieldset.table-field[data-max-chars]");
      if (fs) countTable(fs);
      changed();
    });
    form.addEventListener("change", changed);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); save(); });
  }
  if (form) {
    initForm();
    window.addEventListener("beforeunload", function (ev) {
      if (dirty || saving) { save(); ev.preventDefault(); ev.returnValue = ""; }
    });
    // An Excel import works on the saved document: save first.
    $$(".import-form").forEach(function (f) {
      f.addEventListener("submit", function (ev) {
        if (!dirty && !saving) return;
        ev.preventDefault();
        save().then(function () { if (!dirty) f.submit(); });
      });
    });
  }

  // --- Evidence: several files at once, drag and drop, progress, streamed upload. ---
  $$("form.upload").forEach(function (f) {
    var app = $(".editor").getAttribute("data-app"), cat = f.getAttribute("data-category");
    var input = f.querySelector("input[type=file]"), bar = f.querySelector("progress"), st = f.querySelector(".upload-status");
    var box = f.closest(".evidence-group");
    function send(files) {
      if (!files || !files.length) return;
      var fd = new FormData();
      Array.prototype.forEach.call(files, function (file) { fd.append("files", file, file.name); });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/applications/" + app + "/evidence/" + encodeURIComponent(cat));
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      bar.hidden = false; bar.value = 0;
      st.textContent = "正在上传 " + files.length + " 个文件…"; st.className = "upload-status";
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
      xhr.onload = function () {
        bar.hidden = true;
        var j = {};
        try { j = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        var refused = (j.refused || []).map(function (x) { return x.message; });
        if (!refused.length && j.error) refused = [j.error.message];
        if (refused.length) {
          st.textContent = (j.items && j.items.length ? "已上传 " + j.items.length + " 个；" : "") + "未接受：" + refused.join("；");
          st.className = "upload-status msg";
          st.setAttribute("role", "alert");
          return;
        }
        st.textContent = "已上传 " + (j.items || []).length + " 个文件";
        location.reload();
      };
      xhr.onerror = function () { bar.hidden = true; st.textContent = "上传中断，请重试"; st.className = "upload-status msg"; };
      xhr.send(fd);
    }
    f.addEventListener("submit", function (ev) { ev.preventDefault(); send(input.files); });
    input.addEventListener("change", function () { send(input.files); });
    box.classList.add("dropzone");
    box.addEventListener("dragover", function (ev) { ev.preventDefault(); box.classList.add("over"); });
    box.addEventListener("dragleave", function () { box.classList.remove("over"); });
    box.addEventListener("drop", function (ev) { ev.preventDefault(); box.classList.remove("over"); send(ev.dataTransfer.files); });
  });
})();
