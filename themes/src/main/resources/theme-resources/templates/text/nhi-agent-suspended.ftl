<#ftl output_format="plainText">
The agent ${agent.name} in realm ${agentRealm}, which you own, has been suspended. Its token requests are refused until an administrator resumes it.

Agent:     ${agent.name}
Id:        ${agent.id}
<#if agent.purpose?has_content>Purpose:   ${agent.purpose}
</#if>Reason:    ${agent.reason}
<#if agent.suspendedAt?has_content>Suspended: ${agent.suspendedAt}
</#if>
