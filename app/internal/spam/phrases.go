package spam

// Phrase classes. Phrases are matched on normalised words, so "FREE", "ｆｒｅｅ" and "fr\u200bee"
// all read "free".
const (
	phSupport       = iota // someone offering support by phone
	phSupportStrong        // wording that real signatures do not use
	phBrand                // brands that fake-support scams impersonate
	phPayment              // moving money
	phCryptoScam           // the scam's own wording
	phCryptoWeak           // wording a scam uses and a developer sometimes does too
	phSeed                 // the secret that empties a wallet
	phRequestYour          // "enter your", "share your"
	phScamContext          // where the victim is sent to "fix" things
	phAirdrop
	phPromo
	phSelfPromo // asking readers to subscribe to or visit the author's own channel
	phGambling  // online gambling sites' own vocabulary
	phForSale   // what comment spam sells besides gambling: essays, game cheats, streams, spells
	phAdult
	phMalwareLure
	phPiracy // cracked-software pages' own words
	phSolana
	phContactApp // "contact me on Telegram": moving the conversation to a chat app
	phOffer      // "I can fix this for you", "for a quote": selling work to the reader
	phAlert      // "we have detected …", "your account has been …": a platform's voice warning the reader
	phSecurity   // what such a warning is about: vulnerability, compromised, suspended
	phDev        // the vocabulary of software work
)

var phrases = newPhraseSet(map[int][]string{
	phDev: {
		"repo", "repository", "pr", "pull request", "commit", "merge", "merged", "rebase", "branch", "ci",
		"regression", "upstream", "changelog", "dependency", "dependencies", "readme", "lint", "linter",
		"refactor", "traceback", "stack trace", "panic", "maintainer", "maintainers", "repro", "reproduce",
		"reproducible", "fixture", "fixtures", "npm", "pip", "cargo", "golang", "typescript", "javascript",
		"kubernetes", "docker", "sdk", "cli", "runtime", "compile", "compiler", "exception", "undefined",
		"endpoint", "schema", "struct", "parser", "benchmark", "benchmarks", "pipeline", "localhost", "yaml",
		"github", "gitlab", "fork", "unit test|tests", "test suite", "the build", "the tests", "bisect",
		"deprecated", "deprecate", "env", "config", "api", "library", "contributors", "open source",
		"release", "releases", "release notes", "notifications", "onboarding", "walkthrough", "feedback",
		"docs", "documentation", "issue", "issues", "template", "templates", "smtp",
		"unsubscribe link|links|url|urls|button|footer|endpoint|header|headers|page|flow|handler|token|tag",
		"double opt in", "opt in email|emails", "bug", "bugs", "feature request", "review", "reviewers",
		"patch", "workaround", "sponsors", "contributing", "roadmap", "milestone", "triage",
		"staging", "deploy", "deployed", "deployment", "rollout", "rollback", "hotfix", "credentials",
		"on call", "incident", "outage", "postmortem",
	},
	// A platform's own voice warning about the reader's project: what an impostor of its
	// security team writes. It only counts with a phSecurity word and beside a link to a site
	// named after the platform that the platform does not own (linkRules). A reporter's voice
	// ("I found a security issue in your repo") is not here: a real report may link a
	// third-party project named after the platform.
	phAlert: {
		// Not "identified", "security warning" or "action required": maintainers write them too
		// ("we have identified the regression", "security warning: … in our fork").
		"we have|ve detected|noticed|flagged", "we've|weve|we detected|noticed|flagged",
		"has|have been detected|flagged", "was|were detected|flagged", "security alert",
		"your repository|repo|account|organization|project has been flagged|suspended|compromised|restricted|locked|disabled|deactivated|removed|deleted|banned|reported",
		"your repository|repo|account|organization|project was|is flagged|suspended|compromised|restricted|locked|disabled|deactivated|removed|deleted|banned|reported",
		"your repository|repo|account|organization|project will be flagged|suspended|restricted|locked|disabled|deactivated|removed|deleted|banned",
		"github|gitlab|npm|pypi|docker security|support|trust|safety|moderation team",
		"unusual|suspicious activity|login|logins|sign in|access",
	},
	// Not "flagged": a maintainer flags a PR for review.
	phSecurity: {
		"security", "vulnerability", "vulnerabilities", "vulnerable", "compromised", "suspicious",
		"malicious", "breach", "unauthorized", "exploit", "exploited", "malware", "suspended",
		"suspension", "terminated", "banned",
	},
	phSupport: {
		"support", "helpline", "help line", "hotline", "call us", "contact us", "help desk", "helpdesk",
		"customer service", "customer care", "customer support", "technical support", "tech support",
	},
	phSupportStrong: {
		"helpline", "help line", "hotline", "toll free", "tollfree", "toll-free", "customer care",
		"customer service number", "support number", "helpline number", "24 7", "24x7", "24hrs",
		"call now", "dial", "phone support", "support phone", "customer service phone",
	},
	phBrand: {
		"metamask", "coinbase", "binance", "trust wallet", "trustwallet", "paypal", "cash app", "cashapp",
		"quickbooks", "ledger live", "trezor", "exodus", "phantom wallet", "kraken", "robinhood",
		"blockchain.com", "crypto.com", "uphold", "amazon", "facebook", "instagram", "gmail", "yahoo",
		"outlook", "norton", "mcafee", "geek squad", "microsoft", "apple", "venmo", "zelle", "kucoin",
		"bybit", "okx", "airlines", "airline", "walletconnect", "opensea",
	},
	phPayment: {
		"send", "sending", "transfer", "deposit", "deposits", "pay", "payment", "donate", "fee", "fees",
		"recover", "refund", "withdraw", "withdrawal", "double", "invest", "investment",
		"profit", "profits", "claim", "reward", "rewards", "earn",
	},
	phCryptoScam: {
		"double your bitcoin|btc|eth|crypto|money|investment", "guaranteed profit|profits|returns|income",
		"investment platform", "trading platform", "recover your lost|stolen", "lost funds", "stolen funds",
		"funds recovery", "fund recovery", "crypto|bitcoin recovery", "recovery expert|agent|specialist|hacker",
		"wallet is compromised|suspended|locked|restricted", "wallet has been compromised|suspended|locked|restricted",
		"wallet validation|synchronization|rectification", "daily profit|profits|returns",
		"withdrawal fee", "unlock your funds|wallet|account", "trading expert|signals|mentor", "binary options",
		"investment plan|plans|package|packages", "earn daily|weekly|monthly", "withdraw anytime",
		"usdt|crypto|bitcoin investment", "get double back", "get 2x|10x", "back instantly",
		"forex trading", "crypto mining|investment", "bitcoin mining|investment", "recovered my lost|stolen",
		"helped me recover", "legit hacker", "hire a hacker", "contact him|her|them on whatsapp|telegram",
		"hack|hacking|hacker|recovery|cyber expert|experts", "hackers working",
		"recover|retrieve|restore a|your|my|any hacked", "hacked instagram|facebook|whatsapp|snapchat|tiktok|gmail",
		"easy profit|profits", "good profit|profits", "we help invest", "help you invest", "cloud mining platform|investment|company",
		"send bitcoin|btc|eth|usdt to", "my btc|eth|usdt|bitcoin|crypto address", "this wallet address",
		"deposit address", "earn $", "free bitcoin|btc|eth|crypto|usdt", "bitcoin|crypto giveaway",
		"invest with us|me|him|her|them", "account manager", "elon musk", "x2 your", "2x your",
	},
	phCryptoWeak: {
		"connect|sync|synchronize|validate|rectify|restore|verify your wallet",
		"migrate your tokens|wallet", "claim your tokens|reward|rewards|airdrop|nft|funds",
	},
	phSeed: {
		"seed phrase|phrases|words", "recovery phrase|phrases|words", "secret phrase", "secret recovery phrase",
		"mnemonic|mnemonics", "mnemonic phrase", "private key|keys", "12 word|words", "24 word|words",
		"wallet phrase", "wallet passphrase", "backup phrase",
	},
	phRequestYour: {
		"enter|provide|share|send|submit|input|import|paste|type|verify|validate|give|fill|drop|dm|input your",
		"enter|provide|share|send|submit|input|import|paste|type|give|fill in|fill|dm the", "send us your",
		// With the reader's helper in between: "send me your seed phrase", "give them your
		// recovery phrase", "DM me your 12 words", the commonest way the request is written.
		"send|give|dm|pm|tell|show|email|text|message|share|provide|forward me|us|them|him|her your",
		"send|give|dm|pm|tell|email|text|message|forward me|us|them|him|her the",
		"reply|respond with your",
	},
	phScamContext: {
		"dapp", "rectify", "rectification", "validate", "validation", "synchronize", "synchronization",
		"live chat", "live support", "support ticket", "support team", "resolve this|your issue",
		"fix this|your issue", "google form", "whatsapp", "telegram", "complete the",
	},
	phAirdrop: {
		"airdrop*", "giveaway*", "give away", "free nft|nfts|tokens|token|crypto|eth|btc|usdt|bnb|sol|mint",
		"claim your|the reward|rewards|tokens|airdrop|nft|nfts|allocation", "whitelist spot|spots",
		"mint now", "free mint", "token distribution", "eligible wallets|wallet|users", "you are eligible",
		"first 100|500|1000", "limited spots",
	},
	phPromo: {
		"check out my|our channel|video|videos|page|music|song|new", "subscribe to my|our channel",
		"check my channel|video|videos|page", "please subscribe", "subscribe please", "buy now", "order now",
		"limited time", "limited offer", "special offer", "exclusive offer", "click here", "click the link",
		"free gift", "you have won", "you've won", "you won", "congratulations you", "winner", "prize",
		"earn money", "make money", "work from home", "100% free", "cheap", "best price", "discount",
		"promo code", "follow me", "followers", "backlinks", "seo services", "casino", "betting",
		"payday loan|loans", "viagra", "cialis", "weight loss", "dm me", "whatsapp me", "text me on",
		"call now", "free entry", "txt", "urgent", "claim now", "cash prize", "guaranteed", "unsubscribe",
		"opt out", "visit my|our website|site|page|store|shop", "sign up now", "act now", "free trial",
		"best quality", "lowest price", "buy cheap", "online pharmacy", "essay writing", "assignment help",
		"essay service|services|writer|writers|help", "write|do my essay|essays|homework|assignment|paper",
	},
	// The gambling waves that fill code hosts' issue trackers are Indonesian and Thai; none of
	// these words has another meaning in software talk.
	phGambling: {
		"gacor", "maxwin", "situs judi|slot|togel|toto", "judi online|slot|bola", "togel*",
		"bandar bola|togel|slot", "slot online", "bonus new member", "deposit pulsa", "scatter hitam",
		"สล็อต*", "บาคาร่า*", "เว็บตรง*", "mostbet", "1xbet", "melbet", "22bet", "betwinner", "free spins",
		"sports betting", "online casino|casinos", "casino bonus|bonuses|review|reviews", "no deposit bonus",
		"betting site|sites|platform", "casino enthusiasts",
	},
	// Sold in code hosts' comments with a link; the words have no software meaning (a game
	// mod author says "cheat", not "undetected aimbot").
	phForSale: {
		"write my assignment|assignments|essay|essays|paper|papers|dissertation|thesis",
		"do my assignment|assignments|essay|homework|paper", "assignment help|writing|writer|writers|service|services",
		"essay writing|writer|writers|service|services|obstacles|challenges", "dissertation help|writing|service|services",
		"homework help", "academic writing|pressure", "plagiarism free", "make my assignments",
		"free robux|vbucks|gems|diamonds", "free v bucks", "robux generator", "unlimited robux|gems|diamonds|coins",
		"gift card generator", "no human verification", "undetected|undetectable aimbot|cheat|cheats|hack|hacks|esp|wallhack|spoofer",
		"hwid spoofer", "full movie online|free|download|streaming|hd", "watch|download movies|series online free",
		"streaming the full movie", "123movies", "putlocker", "fmovies", "vashikaran", "black magic specialist|expert",
		"love problem solution", "kala jadu", "join illuminati", "join the|666 illuminati", "illuminati agent",
		// "Hackers" selling access to a partner's phone: a staple of code hosts' comment spam.
		"cheating husband|wife|spouse|partner|boyfriend|girlfriend", "catch a|my|your cheating",
		"remote access to my|his|her|your husband's|wife's|partner's|spouse's", "monitoring guru",
		"hack into his|her|my|your phone|whatsapp|instagram|facebook|icloud",
		"love spell|spells", "lost love|lover|lovers", "my|your|her|his ex lover|lovers", "bring back my|your|lost ex|lover|love",
		"get your|my ex back", "reunite my|your ex", "save my|your marriage", "sugar mummy|mommy|daddy",
		"packers and movers", "packers movers", "fake passport|passports|documents|id|ids",
		"buy real and fake", "counterfeit money|notes|bills", "premium mod apk",
		"changing|change school grades", "change my|your grades", "clearing|clear criminal records",
		"phone cloning", "credit score upgrade|upgrades",
		"uc generator", "uc rp generator", "free uc", "steam gift card|cards generator|codes", "free generator",
		"mod apk download|unlimited", "apk mod unlimited", "unlimited money and|&|gems",
		"buy oxycodone|xanax|adderall|tramadol|percocet|valium|hydrocodone|ambien",
	},
	phSelfPromo: {
		"subscribe to my|our channel", "sub to my|our channel", "subscribe my channel", "check out my|our channel",
		"check my channel", "visit my channel", "go to my channel", "my youtube channel",
		"sub4sub", "sub 4 sub", "subscribe back", "like and subscribe",
		"subscribe and like", "plz subscribe", "pls subscribe", "subscribe plz|pls",
		"check out my music|song|songs|cover|covers|mixtape|track|tracks|vids|rap",
	},
	phAdult: {
		"porn", "porno", "pornhub", "nude|nudes", "sex chat|cam|cams|video|videos", "sexy girls|singles|women",
		"hot girls|singles|women", "escort|escorts", "onlyfans", "xxx videos|video|movies", "adult dating",
		"hookup|hookups", "camgirl|camgirls", "webcam girls", "horny", "nsfw pics", "leaked video|videos",
		"erotic chat|chats", "call girl|girls",
		"video leaked", "18 video|videos|content",
	},
	phMalwareLure: {
		"crack", "cracked", "keygen", "activator", "serial key", "license key", "free download",
		"download free", "mod apk", "hack tool", "cheat|cheats", "aimbot", "unlocker", "password", "pass",
		"free robux", "free vbucks", "setup.exe", "installer", "download link", "download here",
	},
	phPiracy: {
		"keygen", "full version", "serial key|keys|number", "license key|keys", "registration key|keys|code",
		"activation key|keys|code", "activator", "crack download", "cracked version", "free download",
		"download full", "portable version", "pre activated", "full crack", "crack free", "with crack",
	},
	phSolana: {"sol", "solana", "phantom"},
	phContactApp: {
		"contact|reach|message|text|ping|add|dm|call|find|hit me|us on|at|via whatsapp|telegram|signal|wechat|skype|viber|discord",
		"contact|reach|message|text|ping|add|dm|call|find|hit me|us up on|at|via whatsapp|telegram|signal|wechat|skype|viber",
		"my whatsapp|telegram|signal|wechat|skype|viber", "whatsapp|telegram|wechat|skype|viber me",
	},
	phOffer: {
		"i|we can fix|solve|resolve|handle|build|do this|it|that|your|the issue|bug|problem|project|task|work",
		"i|we can help you fix|solve|resolve|with this|it|that|your", "for a quote", "for a fee", "hire me|us",
		"affordable price|prices|rates", "at a low cost|price", "reasonable price|prices|rates", "paid service|services",
		"i am|i'm a freelancer|freelance developer", "available for hire",
	},
})
