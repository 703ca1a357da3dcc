<#ftl output_format="plainText">
${changeRequest.requester} asks to change a non-human identity in realm ${targetRealm}. The change is held until an approver decides.

Operation: ${changeRequest.operation}
Target:    ${changeRequest.target}
Request:   ${changeRequest.request}
Digest:    ${changeRequest.digest}
Expires:   ${changeRequest.expiresAt}

<#if link??>Review change request ${changeRequest.id}: ${link}<#else>Change request ${changeRequest.id}</#if>

Approving needs a fresh sign-in. If you did not expect this request, reject it.
