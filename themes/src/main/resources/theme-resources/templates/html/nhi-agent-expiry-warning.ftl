<html>
<body>
<p>The agent <strong>${agent.name}</strong> in realm <strong>${agentRealm}</strong>, which you own, expires on <strong>${agent.expiresAt}</strong> (in ${agent.daysLeft} days).</p>
<p>When it expires, its tokens are refused and it is suspended. If it is still needed, ask an administrator to extend its expiry; if not, it can be retired.</p>
<table>
  <tr><td>Agent</td><td>${agent.name}</td></tr>
  <tr><td>Id</td><td>${agent.id}</td></tr>
  <#if agent.purpose?has_content><tr><td>Purpose</td><td>${agent.purpose}</td></tr></#if>
  <tr><td>Expires</td><td>${agent.expiresAt}</td></tr>
</table>
</body>
</html>
