<html>
<body>
<p><strong>${review.clientId}</strong> in realm <strong>${reviewRealm}</strong> was not reviewed by the deadline of access review ${review.campaignId} and has been contained: <strong>${review.action}</strong>.</p>
<p>What was done: ${review.detail}</p>
<p>Nothing was deleted. A suspended agent is resumed, a disabled client enabled, and narrowed roles and scopes granted again through the usual (approved) admin changes.</p>
<#if review.link?has_content><p><a href="${review.link}">Open the campaign</a></p></#if>
</body>
</html>
