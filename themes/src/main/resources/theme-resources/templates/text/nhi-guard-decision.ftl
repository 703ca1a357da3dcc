<#ftl output_format="plainText">
Your change request ${changeRequest.id} in realm ${targetRealm} is now ${changeRequest.state} (${changeRequest.transition}).

Operation: ${changeRequest.operation}
Target:    ${changeRequest.target}
Request:   ${changeRequest.request}
<#if changeRequest.decision?has_content>Reason:    ${changeRequest.decision}
</#if>
<#if link??>Open change request ${changeRequest.id}: ${link}</#if>
