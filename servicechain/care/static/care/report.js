// "Use this" copies the classifier's suggestion into the category and severity fields;
// the person still sends the report themselves.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-apply-suggestion]");
  if (!button) return;
  const hint = button.closest("[data-category]");
  const radio = document.querySelector(`input[name="category"][value="${hint.dataset.category}"]`);
  if (radio) radio.checked = true;
  const severity = document.getElementById("severity");
  if (severity && hint.dataset.severity) severity.value = hint.dataset.severity;
});
