// The eSign request goes on to the provider at once; without JavaScript the button sends it.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("to-esign");
  if (form) { form.submit(); }
});
