package dev.nhiguard.audit.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A realm's generated Ed25519 checkpoint key (PKCS#8 and X.509 encodings, base64). */
@Entity
@Table(name = "NHI_AUDIT_KEY")
public class AuditKeyEntity {

    @Id
    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "KEY_NAME", length = 255, nullable = false)
    private String keyName;

    @Column(name = "PUBLIC_KEY", length = 200, nullable = false)
    private String publicKey;

    @Column(name = "PRIVATE_KEY", length = 200, nullable = false)
    private String privateKey;

    @Column(name = "CREATED_AT", nullable = false)
    private long createdAt;

    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public String getKeyName() { return keyName; }
    public void setKeyName(String keyName) { this.keyName = keyName; }
    public String getPublicKey() { return publicKey; }
    public void setPublicKey(String publicKey) { this.publicKey = publicKey; }
    public String getPrivateKey() { return privateKey; }
    public void setPrivateKey(String privateKey) { this.privateKey = privateKey; }
    public long getCreatedAt() { return createdAt; }
    public void setCreatedAt(long createdAt) { this.createdAt = createdAt; }
}
