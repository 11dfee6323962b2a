// Filters the field table: only the rows that differ, and/or the paths that
// contain the typed text. The page works without it; it only hides rows.
document.addEventListener("DOMContentLoaded", function () {
  var onlyDiff = document.getElementById("only-diff");
  var filter = document.getElementById("filter");
  var counts = document.getElementById("counts");
  var rows = document.querySelectorAll("#field-table tbody tr");
  var total = counts.textContent;

  function apply() {
    var text = filter.value.trim();
    var shown = 0;
    rows.forEach(function (row) {
      var path = row.querySelector("td.path").textContent;
      var hide = (onlyDiff.checked && !row.classList.contains("differs")) ||
        (text !== "" && path.indexOf(text) < 0);
      row.hidden = hide;
      if (!hide) shown++;
    });
    counts.textContent = total + (shown === rows.length ? "" : " · " + shown + " shown");
  }
  onlyDiff.addEventListener("change", apply);
  filter.addEventListener("input", apply);
});
