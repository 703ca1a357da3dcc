<html>
<body>
<p>Your change request ${changeRequest.id} in realm <strong>${targetRealm}</strong> is now <strong>${changeRequest.state}</strong> (${changeRequest.transition}).</p>
<table>
  <tr><td>Operation</td><td>${changeRequest.operation}</td></tr>
  <tr><td>Target</td><td>${changeRequest.target}</td></tr>
  <tr><td>Request</td><td><code>${changeRequest.request}</code></td></tr>
  <#if changeRequest.decision?has_content><tr><td>Reason</td><td>${changeRequest.decision}</td></tr></#if>
</table>
<#if link??><p><a href="${link}">Open change request ${changeRequest.id}</a></p></#if>
</body>
</html>
