// Progressive enhancement only: every page works without this file.
(function () {
  'use strict';
  var OTHER = 'อื่นๆ';

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  // Sort and similar selects submit their own GET form when changed.
  each('select[data-autosubmit]', function (select) {
    select.addEventListener('change', function () { select.form && select.form.submit(); });
    var button = select.form && select.form.querySelector('button[type=submit]');
    if (button) button.hidden = true;
  });

  // "อื่นๆ" reveals its free-text box; the box stays visible when it holds a value or an error.
  each('[data-other-for]', function (box) {
    var name = box.getAttribute('data-other-for');
    var form = box.closest('form');
    if (!form) return;
    var input = box.querySelector('input');
    function chosen() {
      var controls = form.querySelectorAll('[name="' + name + '"]');
      for (var i = 0; i < controls.length; i++) {
        var c = controls[i];
        if (c.tagName === 'SELECT' && c.value === OTHER) return true;
        if ((c.type === 'checkbox' || c.type === 'radio') && c.checked && c.value === OTHER) return true;
      }
      return false;
    }
    function update() {
      var show = chosen() || box.classList.contains('has-error');
      box.hidden = !show;
      if (input) input.disabled = !show;
    }
    form.addEventListener('change', function (e) { if (e.target && e.target.name === name) update(); });
    update();
  });

  // The category limits the classification levels (the standard's category_levels rule).
  each('select[data-category-levels]', function (levels) {
    var form = levels.closest('form');
    var category = form && form.querySelector('select[name="data_category"]');
    if (!category) return;
    var allowed;
    try { allowed = JSON.parse(levels.getAttribute('data-category-levels')); } catch (e) { return; }
    function update() {
      var list = allowed[category.value];
      each('option', function (o) {
        if (!o.value) return;
        var ok = !list || list.indexOf(o.value) !== -1;
        o.disabled = !ok;
        o.hidden = !ok;
        if (!ok && o.selected) levels.value = '';
      }, levels);
      if (list && list.length === 1) levels.value = list[0];
    }
    category.addEventListener('change', update);
    update();
  });

  // Upload a file or give a link: show the panel of the chosen source.
  each('fieldset.source', function (fs) {
    function update() {
      var checked = fs.querySelector('input[data-source-choice]:checked');
      var value = checked ? checked.value : 'upload';
      each('[data-source-panel]', function (panel) {
        panel.hidden = panel.getAttribute('data-source-panel') !== value;
      }, fs);
    }
    fs.addEventListener('change', update);
    update();
  });

  each('[data-select-on-focus]', function (el) {
    el.addEventListener('focus', function () { el.select(); });
  });

  // After a failed save, take keyboard and screen-reader users straight to the list of problems.
  var summary = document.getElementById('error-summary');
  if (summary) summary.focus();
})();
