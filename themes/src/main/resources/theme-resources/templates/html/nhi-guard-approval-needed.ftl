<html>
<body>
<p>${changeRequest.requester} asks to change a non-human identity in realm <strong>${targetRealm}</strong>. The change is held until an approver decides.</p>
<table>
  <tr><td>Operation</td><td>${changeRequest.operation}</td></tr>
  <tr><td>Target</td><td>${changeRequest.target}</td></tr>
  <tr><td>Request</td><td><code>${changeRequest.request}</code></td></tr>
  <tr><td>Digest</td><td><code>${changeRequest.digest}</code></td></tr>
  <tr><td>Expires</td><td>${changeRequest.expiresAt}</td></tr>
</table>
<#if link??><p><a href="${link}">Review change request ${changeRequest.id}</a></p><#else><p>Change request ${changeRequest.id}</p></#if>
<p>Approving needs a fresh sign-in. If you did not expect this request, reject it.</p>
</body>
</html>
