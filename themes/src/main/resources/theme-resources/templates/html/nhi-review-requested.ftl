<html>
<body>
<p>You are asked to review non-human identities in realm <strong>${reviewRealm}</strong>: for each one, decide whether it is still needed as it is (keep), should lose the roles and scopes its tokens were not requested for (narrow), or should be retired (suspended or disabled, reversibly).</p>
<table>
  <tr><td>Campaign</td><td>${review.campaignId}</td></tr>
  <tr><td>Deadline</td><td>${review.deadline}</td></tr>
  <tr><td>Undecided</td><td>contained automatically at the deadline (${review.onUndecided})</td></tr>
</table>
<ul>
<#list review.items as item><li>${item}</li></#list>
</ul>
<#if review.link?has_content><p><a href="${review.link}">Open the reviews page</a></p></#if>
</body>
</html>
