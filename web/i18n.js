// The UI's words in English and Japanese. The language comes from the browser unless the user
// picked one (kept in localStorage).

const words = {
  en: {
    brand: "Workgroup invitations", skip: "Skip to content", language: "Language",
    loading: "Loading…", signOut: "Sign out", signIn: "Sign in", signedInAs: "Signed in as {email}",
    signInTitle: "Sign in", signInDev: "Development sign-in: this local server signs you in as any address.",
    email: "Email address", displayName: "Display name", signInAs: "Sign in as",
    signInCognito: "Sign in with your account", signInUnavailable: "Sign-in is not configured for this deployment.",
    workgroup: "Workgroup", chooseWorkgroup: "Choose a workgroup", noWorkgroups: "You are not in any workgroup yet.",
    createWorkgroup: "Create workgroup", workgroupName: "Workgroup name", create: "Create",
    people: "People", agentsTab: "Agents", invitedTab: "Invited", inviteAgents: "Invite Agents",
    name: "Name", role: "Role", status: "Status", expires: "Expires", delivery: "Email", actions: "Actions",
    joined: "Joined", noAgents: "No agents.", noInvitations: "No pending or declined invitations.",
    more: "More", resend: "Resend Invitation", cancel: "Cancel Invitation",
    confirmCancel: "Cancel the invitation to {email}? Its link stops working.",
    resent: "Invitation resent to {email}.", cancelled: "Invitation to {email} cancelled.",
    moreActionsFor: "Actions for {email}",
    addresses: "Email addresses", addressesHint: "Separate addresses with commas, or paste one per line.",
    invite: "Invite", inviting: "Sending…", results: "Results", close: "Close",
    "role.administrator": "Administrator", "role.manager": "Manager", "role.associate": "Associate", "role.inactive": "Inactive",
    "status.pending": "Pending", "status.declined": "Declined",
    "delivery.queued": "Queued", "delivery.sent": "Sent", "delivery.failed": "Failed", "delivery.bounced": "Bounced", "delivery.complained": "Complained",
    "outcome.invited": "invited", "outcome.resent": "sent again", "outcome.already_agent": "already an agent",
    "outcome.invalid_email": "not a valid address", "outcome.duplicate": "repeated", "outcome.forbidden": "only an administrator may renew this invitation",
    acceptTitle: "You are invited", acceptLead: "{inviter} invited {email} to join {workgroup} as {role}.",
    acceptExpires: "This invitation expires on {time}.", acceptRegister: "This is your first workgroup: choose the name others will see.",
    acceptSignIn: "Sign in as {email} to accept.", accept: "Accept and join", decline: "Decline",
    acceptWrongUser: "You are signed in as {signedIn}, but this invitation is for {email}.",
    joinedTitle: "Welcome to {workgroup}", joinedLead: "You joined {workgroup} as {role}.", openConsole: "Open the console",
    declinedTitle: "Invitation declined", declinedLead: "You declined the invitation to {workgroup}. You can close this page.",
    deadTitle: "This link no longer works", deadLead: "The invitation has expired, was already used, was cancelled, or was replaced by a newer email.",
    deadNext: "Ask the person who invited you to send a new invitation, then use the link in the newest email.",
    noToken: "This page opens from the link in an invitation email.",
    problem: "Something went wrong: {detail}", retryLater: "Try again later.",
    tooMany: "{detail}", required: "Required.",
  },
  ja: {
    brand: "ワークグループ招待", skip: "本文へ移動", language: "言語",
    loading: "読み込み中…", signOut: "サインアウト", signIn: "サインイン", signedInAs: "{email} でサインイン中",
    signInTitle: "サインイン", signInDev: "開発用サインイン: このローカル サーバーでは任意のアドレスでサインインできます。",
    email: "メール アドレス", displayName: "表示名", signInAs: "このアドレスでサインイン",
    signInCognito: "アカウントでサインイン", signInUnavailable: "このデプロイではサインインが設定されていません。",
    workgroup: "ワークグループ", chooseWorkgroup: "ワークグループを選択", noWorkgroups: "まだどのワークグループにも所属していません。",
    createWorkgroup: "ワークグループの作成", workgroupName: "ワークグループ名", create: "作成",
    people: "人 (People)", agentsTab: "エージェント", invitedTab: "招待済み", inviteAgents: "エージェントの招待",
    name: "名前", role: "役割", status: "状態", expires: "有効期限", delivery: "メール", actions: "操作",
    joined: "参加日", noAgents: "エージェントはいません。", noInvitations: "保留中または拒否された招待はありません。",
    more: "その他", resend: "招待の再送信", cancel: "招待の取り消し",
    confirmCancel: "{email} への招待を取り消しますか? リンクは使えなくなります。",
    resent: "{email} に招待を再送信しました。", cancelled: "{email} への招待を取り消しました。",
    moreActionsFor: "{email} の操作",
    addresses: "メール アドレス", addressesHint: "アドレスはコンマで区切るか、1 行に 1 つずつ貼り付けてください。",
    invite: "招待", inviting: "送信中…", results: "結果", close: "閉じる",
    "role.administrator": "管理者", "role.manager": "マネージャー", "role.associate": "アソシエイト", "role.inactive": "非アクティブ",
    "status.pending": "保留中", "status.declined": "拒否",
    "delivery.queued": "送信待ち", "delivery.sent": "送信済み", "delivery.failed": "送信失敗", "delivery.bounced": "不達", "delivery.complained": "迷惑メール報告",
    "outcome.invited": "招待しました", "outcome.resent": "再送信しました", "outcome.already_agent": "既にエージェントです",
    "outcome.invalid_email": "有効なアドレスではありません", "outcome.duplicate": "重複しています", "outcome.forbidden": "この招待を更新できるのは管理者だけです",
    acceptTitle: "招待が届いています", acceptLead: "{inviter} さんが {email} を {workgroup} に {role} として招待しました。",
    acceptExpires: "この招待の有効期限は {time} です。", acceptRegister: "初めてのワークグループです。ほかのメンバーに表示される名前を入力してください。",
    acceptSignIn: "承認するには {email} でサインインしてください。", accept: "承認して参加", decline: "拒否",
    acceptWrongUser: "{signedIn} でサインインしていますが、この招待は {email} 宛てです。",
    joinedTitle: "{workgroup} へようこそ", joinedLead: "{workgroup} に {role} として参加しました。", openConsole: "コンソールを開く",
    declinedTitle: "招待を拒否しました", declinedLead: "{workgroup} への招待を拒否しました。このページは閉じてかまいません。",
    deadTitle: "このリンクは使えません", deadLead: "招待の有効期限が切れたか、既に使用されたか、取り消されたか、新しいメールに置き換えられました。",
    deadNext: "招待した人に新しい招待の送信を依頼し、最新のメールのリンクを使ってください。",
    noToken: "このページは招待メールのリンクから開きます。",
    problem: "問題が発生しました: {detail}", retryLater: "しばらくしてからもう一度お試しください。",
    tooMany: "{detail}", required: "必須です。",
  },
};

const stored = () => {
  try { return localStorage.getItem("language"); } catch { return null; }
};

export let language =
  stored() ?? ((navigator.languages ?? [navigator.language]).some((l) => l?.toLowerCase().startsWith("ja")) ? "ja" : "en");

export function setLanguage(next) {
  language = words[next] ? next : "en";
  try { localStorage.setItem("language", language); } catch { /* private mode: not kept */ }
  document.documentElement.lang = language;
}

/** The word for `key` in the current language, with `{name}` placeholders filled in. */
export function t(key, values = {}) {
  const text = words[language][key] ?? words.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

/** A moment as the reader's locale writes it, with the time zone. */
export function when(iso) {
  return new Intl.DateTimeFormat(language === "ja" ? "ja-JP" : "en-US", {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  }).format(new Date(iso));
}

/** Fills every `data-i18n` element below `root`. */
export function translate(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
}
