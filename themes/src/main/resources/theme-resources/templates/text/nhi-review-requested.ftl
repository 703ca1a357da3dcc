<#ftl output_format="plainText">
You are asked to review non-human identities in realm ${reviewRealm}: for each one, decide whether it is still needed as it is (keep), should lose the roles and scopes its tokens were not requested for (narrow), or should be retired (suspended or disabled, reversibly).

Campaign:  ${review.campaignId}
Deadline:  ${review.deadline}
Undecided: an identity not decided by the deadline is contained automatically (${review.onUndecided}).

Identities:
<#list review.items as item>  - ${item}
</#list>
<#if review.link?has_content>
Review them here: ${review.link}
</#if>
