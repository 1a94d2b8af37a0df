// The wave form asks for a sample fraction only for pulses and customer waves: a census
// invites everyone. Without JavaScript the field stays visible and a census ignores it.
(function () {
  function update() {
    var kind = document.getElementById("id_kind");
    var fraction = document.querySelector("[data-field='sample_fraction']");
    if (!kind || !fraction) return;
    fraction.hidden = kind.value === "census";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var kind = document.getElementById("id_kind");
    if (kind) kind.addEventListener("change", update);
    update();
  });
})();
