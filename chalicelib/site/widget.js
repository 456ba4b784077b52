/* Kind Alarm widget: the children missing now (docs/widget.md). */
(function () {
  "use strict";
  var WORDS = /*WORDS*/{};
  // Styles are set property by property (no style attribute, no <style>): no 'unsafe-inline' in partners' CSP.
  var LOOK = {
    list: {listStyle: "none", margin: "0", padding: "0"},
    alert: {display: "flex", margin: "0 0 8px", padding: "12px", borderLeft: "8px solid",
      color: "#1a1a1a", background: "#fff", textAlign: "left", font: "16px/1.4 sans-serif", overflowWrap: "break-word"},
    // A flex item is as wide as its longest word unless told otherwise: a long name would run out of the banner.
    body: {minWidth: "0"},
    photo: {flex: "none", width: "80px", height: "100px", margin: "0 12px 0 0", objectFit: "cover"},
    title: {margin: "0", fontWeight: "700"},
    name: {margin: "0", fontSize: "18px", fontWeight: "700"},
    line: {margin: "0"},
    link: {color: "#0b57d0", background: "#fff", fontWeight: "700"}
  };
  var COLOURS = {kind_alarm: "#c8102e", vermist_kind: "#a84c00"};
  var WEB = /^https?:\/\//;
  var found = document.querySelectorAll("script[src*='widget.js']");
  var script = document.currentScript || found[found.length - 1];
  if (!script || !script.parentNode) return;
  var lang = script.getAttribute("data-lang") === "en" ? "en" : "nl";
  var src = script.src.split(/[?#]/)[0];
  var url = src.slice(0, src.lastIndexOf("/") + 1) +
    (script.getAttribute("data-sandbox") === "true" ? "sandbox/" : "") + "active.json";
  var box = document.createElement("div");
  var shown = null;
  box.className = "kindalarm-box";
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", WORDS.index_title[lang]);
  box.style.display = "none";
  script.parentNode.insertBefore(box, script.nextSibling);
  load();
  setInterval(load, 60000);

  function load() {
    var xhr = new XMLHttpRequest();
    xhr.onload = function () {
      // A failed refresh keeps what is shown; a failed first load shows nothing.
      if (xhr.status !== 200 || xhr.responseText === shown) return;
      try {
        show(JSON.parse(xhr.responseText).alerts || []);
        shown = xhr.responseText;
      } catch (error) { /* not JSON: keep what is shown */ }
    };
    xhr.open("GET", url);
    xhr.send();
  }

  function show(alerts) {
    var list = add(null, "ul", "list");
    for (var i = 0; i < alerts.length; i++) {
      if (WEB.test(alerts[i].page)) list.appendChild(banner(alerts[i]));
    }
    while (box.firstChild) box.removeChild(box.firstChild);
    if (list.firstChild) box.appendChild(list);
    box.style.display = list.firstChild ? "block" : "none";
  }

  function banner(alert) {
    var colour = COLOURS[alert.level] || COLOURS.kind_alarm;
    var status = WORDS.statuses[alert.status];
    var item = add(null, "li", "alert");
    item.style.borderLeftColor = colour;
    if (WEB.test(alert.photo)) {
      var photo = add(item, "img", "photo");
      photo.setAttribute("src", alert.photo);
      photo.setAttribute("alt", fill(WORDS.photo_alt[lang], "name", alert.name));
    }
    var body = add(item, "div", "body");
    var title = (WORDS.levels[alert.level] || WORDS.levels.kind_alarm)[lang] + (status ? " – " + status[lang] : "");
    add(body, "p", "title", title).style.color = colour;
    var age = typeof alert.age === "number" ? ", " + fill(WORDS.age[lang], "age", alert.age) : "";
    add(body, "p", "name", alert.name + age);
    add(body, "p", "line", fill(WORDS.last_seen_in[lang], "place", alert.place));
    var page = lang === "en" ? alert.page.replace(/\.html$/, ".en.html") : alert.page;
    add(add(body, "p", "line"), "a", "link", WORDS.view[lang]).setAttribute("href", page);
    return item;
  }

  function add(parent, tag, name, text) {
    var node = document.createElement(tag);
    var look = LOOK[name] || {};
    node.className = "kindalarm-" + name;
    for (var key in look) {
      if (look.hasOwnProperty(key)) node.style[key] = look[key];
    }
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function fill(template, key, value) {
    return template.split("{" + key + "}").join(String(value));
  }
})();
