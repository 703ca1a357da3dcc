<html>
<body>
<p>The agent <strong>${agent.name}</strong> in realm <strong>${agentRealm}</strong>, which you own, has been <strong>suspended</strong>. Its token requests are refused until an administrator resumes it.</p>
<table>
  <tr><td>Agent</td><td>${agent.name}</td></tr>
  <tr><td>Id</td><td>${agent.id}</td></tr>
  <#if agent.purpose?has_content><tr><td>Purpose</td><td>${agent.purpose}</td></tr></#if>
  <tr><td>Reason</td><td>${agent.reason}</td></tr>
  <#if agent.suspendedAt?has_content><tr><td>Suspended</td><td>${agent.suspendedAt}</td></tr></#if>
</table>
</body>
</html>
