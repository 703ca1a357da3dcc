<#ftl output_format="plainText">
${review.clientId} in realm ${reviewRealm} was not reviewed by the deadline of access review ${review.campaignId} and has been contained: ${review.action}.

What was done: ${review.detail}

Nothing was deleted. A suspended agent is resumed, a disabled client enabled, and narrowed roles and scopes granted again through the usual (approved) admin changes.
<#if review.link?has_content>
Campaign: ${review.link}
</#if>
