package dev.nhiguard.guard.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One step in a change request's life: who did what, from which state to which. */
@Entity
@Table(name = "NHI_CHANGE_HISTORY")
public class HistoryEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "CHANGE_REQUEST_ID", length = 36, nullable = false)
    private String changeRequestId;

    @Column(name = "OCCURRED_AT", nullable = false)
    private long at;

    @Column(name = "SEQ", nullable = false)
    private int seq;

    @Column(name = "ACTOR_USER_ID", length = 36)
    private String actorUserId;

    @Column(name = "STEP", length = 32, nullable = false)
    private String action;

    @Column(name = "FROM_STATE", length = 24)
    private String fromState;

    @Column(name = "TO_STATE", length = 24)
    private String toState;

    @Column(name = "DETAIL", length = 4000)
    private String detail;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getChangeRequestId() { return changeRequestId; }
    public void setChangeRequestId(String v) { this.changeRequestId = v; }
    public long getAt() { return at; }
    public void setAt(long v) { this.at = v; }
    public int getSeq() { return seq; }
    public void setSeq(int v) { this.seq = v; }
    public String getActorUserId() { return actorUserId; }
    public void setActorUserId(String v) { this.actorUserId = v; }
    public String getAction() { return action; }
    public void setAction(String v) { this.action = v; }
    public String getFromState() { return fromState; }
    public void setFromState(String v) { this.fromState = v; }
    public String getToState() { return toState; }
    public void setToState(String v) { this.toState = v; }
    public String getDetail() { return detail; }
    public void setDetail(String v) { this.detail = v; }
}
