<#ftl output_format="plainText">
The agent ${agent.name} in realm ${agentRealm}, which you own, expires on ${agent.expiresAt} (in ${agent.daysLeft} days).

When it expires, its tokens are refused and it is suspended. If it is still needed, ask an administrator to extend its expiry; if not, it can be retired.

Agent:   ${agent.name}
Id:      ${agent.id}
<#if agent.purpose?has_content>Purpose: ${agent.purpose}
</#if>Expires: ${agent.expiresAt}
