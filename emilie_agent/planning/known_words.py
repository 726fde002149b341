"""English words one edit away from a word of the planner's lexicon: never taken for typos.

Generated, do not edit:

    python -m emilie_agent.planning.spelling /usr/share/dict/american-english-large \
        /usr/share/dict/british-english > emilie_agent/planning/known_words.py

(the Debian packages wamerican-large and wbritish: SCOWL word lists, by Kevin Atkinson). Regenerate it
after adding words to the lexicon.
"""

KNOWN_WORDS = frozenset(
    """
aback abby abe abel abele abide abl abler abloom ably abode abort abound abs abstracts abut aby ace acing acorn acre
act acton actors acute ada addiction additions adds adit adits adj adjusts adm ado adore adorns adown ads adust adv
advanced advancer advances adz aeon aerie aeries aery aesthetics afar affects afloat afr afresh aft afternoons
afters afterword afterwords aga aged agee ages aglow ago agone agr aground ague aha ahem ahmad aid aide aider aiding
aids ail aim ain airt airy ais ait aitch ala alack alb albright ald alder aldo ale alg alger ali alice alight
alighting alike aline alk ally aloe alow alp alpo alsop alt altar alters alto amain ambiances ambiences amble ambler
ameer amen amer ami amide amon amp amply amt amu amway amy ana ancients andy ane anear anesthetic anew angary ani
anile anim anima animated animates animato anise ann ans ant anted anther antiqued antiquer antiques ants anu apace
ape aport appeal appears apple appreciates apt apter aptly ara arawn arb arc arctics ard area areal ares arg arid
aright arise ark arm arne arp arr arrow arse arts artworks arty asa ash ashe asides ask asks asleep asp ass aster
astor ate aten atm atmospheres atom aton atone atones ats att attack aud audition aunts aunty aus aust autumns ave
aver avery avn avs awe aweather awhile awl awn awry axe axle aye azide baba babe babi bach backgrounds backs bact
bad baddy bade bag bagger bail bait bake baky bal bala balds baldy bale baled bali balk balking ball balm balt ban
band bandy bane bang banish bank banned bant bar barb bard barde bared barer bares barf barge bari baring bark
barker barm barn barque barr barre barrow bars bart barye base bask basks bast bat bate bath bather bating batter
battle baud bawd bay bays beach bead beading beak beam beans bear bearing beast beat beating beck bed bedside
bedsides bee been beep beeping beer beet beg behinds being bel bell bellow belt belting ben bename bench bend bender
bent bering berm bern bert bes beset besot bess bests bet beth betide betides bets betting bey beys bhang bib bic
bice bid biddle biddy bide biden biding bids bight bights bike bill billion bim bin bind bine binger binocular bio
biog birl birls birthdays bis bister bitch bite bits bitt bitting biz bize bkg blacks blaming bland blank blare
blast blat bleak blear bleep bleeping blend blende bless blest blew blight blighter blighting blind bling blip
blizzards bloat bloating blob bloc block blog blok blondel blonder blondes blondie blonds blood blooding blooms
bloomy bloop blooping blossoms blossomy blot blots blower blowing blown blows blowy blu blub blued bluer blues bluet
bluey bluish blum blurb blurs blurt blurted boa boas boast boat bob bobs bock bod bods body bog boggles boggy bogs
bogy boil boise bol bold bolder bon bonce bond bone bones bong bongs bony bonze boo book books boom booming boon
boos boosts boot booth boots bop bopper bops bor bore boride boring born bors bose bosh boss bot botch botha bother
bothy bots bott bottoms bough bound bourn bout bow bower bows box boxy boyd boyfriends boz brae brain braining
brainstorm brainy braise braw brawn bray bread breading breaks bream bred brede breeze brest bribe brice brides
bridge bridle brie brief briers bries brig brightens brighton brights brigit brilliants brim brine brings brink
briny brit brock brocken broke broker bronte bronzed bronzes bronzy broom broth brothel brothers brow browne browns
brows brunch brunettes brunt brush brushy brut btl btry btu bub buck bud bug bugger bugs buick builds built bul bull
bully bum bummer bump bumping bun bunche bunchy bunco bunny bunt buoy buoys bur buran burch buret burg burin burl
burly burnet burnings burns burp burping burr burred burring burry burs burse burst burt bury burying bus busby
busch bush businessmen busing busk bust busty busy butch bute buts butt buy buys byes byre byte byz cab cable cad
cade caen cage cain cake cal calder calf cali calk calker calking call caller calmed calms calx cam camber came cana
canc cancer candy cane cannas canned cans cant canted canter cantle cants canvass cap capper car cardoon care cared
carious cark carl carly cart carton cartoonist cartoons cartoony cary casks cast castle cat cate cather cav cave
caver caving cavour cavy caw cay cdr cell cello celt cen censer centare centers centner centra centred centres ceram
cerate cere cess chad chan chanced chancel chances chancing chancre chancy chang changed changer changers chanting
chape chappy charcoals charge charges charging charity chat chattered che checker cheeked cheeks cheep cheeps cheer
cheery chefs chem chen cher chew chewers chez chi chick chid chide chief childe chile chili chill chin chine ching
chink chippy chis chocked choler chop chopper choral chose chow chrystal chucked chugs chunder churl chute cid cider
cig cindy cine cis cist cit cite clack clacked clad clam clan clanging clap clarify clary classes claw clays cleaned
cleaners cleans cleanser clearer clears cleat cleave cleaver cleaving clef cleft cleon clime cline clip clive
cloches clod cloddy clone cloned clop clos closer closes closet clot clothe clothed cloths clots cloud clouds clove
clover cloy cloyed clue cnut coact coal coaler coast coati coats coax cobol cock cod coddler coder codify codifying
cody coed coff cog coil coiner coir col cola colds cole coli colic coll colo colon colonise colonize colons coloreds
colorer colorist colorized colorizes coloureds cols colt colter coly com come comer comics compositions con concert
cone cones cong conger conic conner cons cont conto contract contras contrasts contrasty convect convent converts
cony coo cook cooker cooks cooled coolers cooley cools coom coon coop cooper coors coos coot cop copal copay cope
coper copier coping copped coppers coppery cops copt copter cor cora corals cord corder core corer corker corn
cornea corned cornel corners cornet cornier corning coroner corp corral cory cosmic cost cosy cot cote coth cots
cotter couch couching cough coupe coupled coupler couples couplet cove coven coverall coveralls covers covert coves
covet covey cow coward cowards cowboys cower cowl cowper coy coyer cozy cracker crackled cracks cram crank cranked
crap crate craw cray creak creams creamy crease created creates cred creep creeps cremate crenate crepey cress crest
crete crick cricked crim crimp crimsons crinkled crispi crisps crispy croat crock crocked cropper crops cross croup
crow crown cru cruck crustal crusty cryings crystals ctn cts cub cube cubists cubit cubits cud cuddy cue cues cuke
cull culler cully culm cult cum cunning cunt cup cur curb curd curdy cure curios curls curry curs curse curt curtly
curvy cush cushy cusk cuter cutey cutie cuts cuttle cwt cyberpunks cyclists dab dace dada dado dads dafter dag dah
dairy dak dalai dale dam dame damn dan danced dancers dances dander dandy dane dang danger danging danish dank
danker dante dap dare daren darer darg darien darkens darky darn darner darren darrow dart darter dat date dating
daughters daunt daunted dave davy daw dawns daws daylights days daze deaf deal dean deans dears deary debar dec decd
decease deck decl decor decorated decorates decoy decreased decreases decs deduce dee deed deeded deeds deem deeps
deere deers defer deft degrease delate deleted deletes deli dell demo den denar dene denise deon dep deplete depp
der deserts desk dessert deter devil dew dewar dews dey dhole dhow dib dice dick diddle dido die died dies dig
digger dight dike dill dim dime din dine ding dink dint dione dip dir dirk dirt dirtied dirties dis disappears dish
disk dist distanced distances dit ditch dithered dits ditty diu div dive diver dix doable dob dobs doc dock docs
doctors doe doer doers doff dog doge doges doggy dogs doh doing doited dol dole doles doll dolor dolors dols dom
dome domes don dona donee dong dongs donn donne dons doom dope dopes doping dopy dor dork dorp dorty dory dos dose
doses doss dot dote doted dotes doth dots dotter dou doubled doubler doubles doublet doubly douching dough dour dove
dover doves dow dowdy dower downs downy doz doze dozes drab drag drain draining dram dramatics drank draping drat
drawings drawl drawling draws dray dread dreading dream dreams dreamt drear dreary dregs dressy drew drier drin
drinkings drinks drip drive drivel driven drivers drives drizzled drizzles drizzly drone droop drops dross drover
drown drunk drying drys dts duad dual duck dud due duel dueler dueller dues duh dulled dulles dulls dully duly dump
dumping dun dunce dune dunk dunner dunning dunt duo dup duper duplicated duplicates dur duress duse dusky dust dusts
duty dwell dyad dyed dyer dyes dyke dyne ealing ear earing earphone ease easing east easting eatings eats eau eave
eben eco ede eden edged edger edges edgy edict edicts edith edo educe eel eerier eery eff effecting effects eft ego
eide eider eighth eights eighty eking elating elbe eld elder eliminated eliminates elise ell elm els elsa elsie ely
ember emeralds emery emil emile emit emits enc ends eng engravings enhanced enhancer enhances enid enl enlarged
enlarger enlarges enow ens enter entice entirety environments envisions eon eons epic era eras erased eraser erases
ere erg erie erk erma erose err erse erst ert esd esse est esthetic eta etch etchings ethan ether eton eur evan
evanish eve evenings evens event eventing ever evert eves evils ewe ewer exceptions excepts excerpt exch exchanged
exchanger exchanges exit exiting exits expands expend exploded exploder explodes explore exposures expressionism
expressionists exr ext extends extent extras eye eyrie fab fable fac face faced facings fact factor factually fad
fader fades fadge fading fado fads faery fag fail fain faint fainted fainting fair fairly fairs fairytales fake
faked faking falla faller fallowing falls falter faltering fam fame famed fan fane fang fanned fanny fantasm fantast
farcy fard fare fared farer faring farl farm farmed farmers faro farrow fart farther fash fast faster fate fated
fath fathers fating fats fatted fatten fattier faugh faun fave favors favours fawn fax faxed faxing fay faye faze
fazed fazing feal fear fearing feast feat feather feb fec fed fee feed feeds feels feer fees feet feeze fell fellow
felly felt felting fem fen fend fender fer ferry fess fest fetching fetter feu fewer fey fez fiat fib ficus fid
fiddle fie fiend fiends fife fig fight fighter fighting fights fila file filed filer filler fills filly films filmy
filo fils filters filum fin find fine fined finger fink finking fir fire fired firm firmer firry firs firsts fisc
fishermen fishy fisk fist fit fitch fits fitter fitting fiver fives fixer fixes fla flab flack flag flak flaking
flam flame flamingo flamings flan flap flaring flats flatt flatter flavor flavour flaw flawing flax flay flayer
flaying fld fleming flesh flew fley fliers flight fling flips flit flo floats floaty flog flong floods floor flop
flor flora florae floras flossy flour flout flouting flow flower flowing flown floyd flt flu flue fluff fluffs
flurry flush foaming fob foe foes fogey fogs fogy foil fol fold folder folding folds folk folksy foll followings
folly fonder font foo food fool fop fora forb ford fore foregrounds fork forks form formal former fort foster fou
foul foully found fours fox foxed fra frack fracked frae fraise framed framer frames framing frap frat fray freak
fred freezer freezes frey fried frieze fright frighten frill frizzle fro frock froe frog froggy fromm frond frons
fronts frosh frost frow frowns froze frt fry frying fucus fuel fug fuggy fugs fula fuller fulls fum fund funk funner
funny fur furious furl furn fury furzy fuse fusing fusty fut fwy fyn gable gaby gad gage gaggles gail gain gaining
gale gall gam game gan gand gang ganger gao gappy gar garble gary gas gasses gat gate gather gating gaunt gave gay
gays gaze geans gear gearing gee geed gel geld gelt gem gen gender generated generates gent gentlemen geo geod ger
gere germ gest gets getting gev gey ghat giants gibe gibes gid gide gie gig giggles gil gild gill gillion gills gin
gingers gingery gink gip gird girds girlfriends girly giro giros girt girts gish gist git gite gits given giver
gives glade glassed glassy glean gleaner gley glitter glitters gloat gloating glob globing glom gloom glooming glop
gloss glossa glosses glove gloved gloving glower glows glt glue goa goad goads goat gob god goes goff gog goggle
goggled goggler goings golda golding golds golf gond gone gong gongs goo goodby goodbyes goodbys goode goods goody
goof googles gook gooks goon goop goral gore gorey goring gosh got goth gothics gotten gould gout gov gower gown goy
goys grab grace grad graded grader grades gradin grads grady graf grail grains gram gran grandam grandfathers
grandmas grandmothers grandpas grange granny grant grape grasses grate gratin grave gravy grays graz graze greats
gree greed greek greene greenings greens greeny greer greet greeting greg grep greta grew greys grid gride griefs
grim grin gripe grizzle gro groat grog groin grok grooms gros grot ground grousers growing growl grown grows guggles
guild gulden gull gully gum gums gun gunner gunning gunny guns gur gus gush gushy gust gusty gut guts guv guvs gyve
haaf haas hab hack hade hadj hae hag hags hah hahn haig haik hails hair hairs haj hake hal hale hall hallo
halloweens halm halo hals halt halter haltering halve ham hama hame hamm hams han hance hands handy hanging hangs
hank hanks hans hap haply hapten hard hare hark harken harl harm harmer harp harper harpy harrow harry hart hasa
hash hasp hast hat hate hating hats hatter haugh haul haunt haunter havel haven haver haves having havre haw haws
hay hays hazed hazel hazer hazes head heading headphone heads heal heals health healths heap hear hearing hears heat
heather heathy heating heats heave heaving heb hebe hedge heed heeded heeds heel heep heft height heir hel held hell
helle hellos hells helm helps hem heme hemp hen hep hera herb herd heres herl herm hern herne hero herp herr hers
hes hess hest hew hewer hews hex hgt hhd hic hick hid hided hider hides hiding hie hied hies hight hike hila hill
hims hin hind hing hings hins hint hinter hip hippy hips hire hiss hist hit hitch hits hitter hitting hive hmong
hoad hoar hob hoc hock hocked hocus hod hoe hoed hoeing hoer hoes hoff hog hogs hoke hoking holden holder holdings
holds hole holed holing hollo hollowing holm holp hols holt holy home homing hon hond hone hones hong honing hons
hoo hood hooding hook hooks hooping hoot hooter hop hoped hopeh hopes hopi hopper hopping hops hor horal hording
horn hort hos hose hosing host hots hotted hough hound houri hours hove hover howard howe howl hows hoy hoys hrs
hsining hts huang hub hubs hued huey hug huger hugh hugo huh hui hull huller hum hume hummer hump humping hums hun
hunch hung huns hunt hunted hurl hurry hus husbands hush husk huss hut huts hwang hwy hyde hype hyping ian ice icky
ida idea ideal ideals ides ido ids ier ifs ign ike ilk ill illuminated illuminates illuminati illustrate illustrates
illustrations imaged images imagined imagines imaging imago impressionists ina inc included includes increased
increases ind indign indio indy inedited inert inf info inking inks inky inn ins insect inserts inset insider
insides instal installs instals instill int inter inti intr intro inv invent inverts invest invisibly ion ions ios
irade irate ire irk isl ism itch itching ito iva ivs ivy iwo izard jack jade jaded jail jain jake jam jame jan jar
jarrow jas jat jaunt jaunted jay jean jed jeep jeer jell jello jer jere jess jest jet jetting jew jews jibe jibes
jig jigger jill jillion jilted jim jink jinking jive jock jog joggles joint jointing jon jones jook jor jose jot
jots jotted jotter joust jove joy joys jugs jumps jumpy jun jupon jus jut jute juts kail kain kaki kale kali kalong
kame kan kandy kant kart kat kate kay ked kedge keef keek keel keeling keen keening keeps kelp kelt kemp ken kep
ketch keven kew key khakis khan khasi khat kiang kibe kibes kick kidd kier kif kike kill kilted kilter kim kin kina
kinda kindle kinds kine kinematic kingly kings kink kinking kino kip kips kish kiss kist kit kith kits kitting
kittle kline klong kneed knew knights knob knop knot knowing known knows knox kong kook kooks kop kor krystal kudo
kudus kun kush kyd laager lab lac lace lacing lack lacy lad laddies lade laded lades ladles lads lag lager lagger
laid lain lake laky lam lame laming lance lancer lancing land landscaped landscaper landscapes lane lang langer lao
lap lar larder lardy larges largo lark larker larne las lase lash lass lasses lasts lat late later lather lats latte
latter laughs laughter lav lave laved lavenders laving law lawn lax layer laying lays laze lazies lazy lea leach
leacher lead leading leads leaf leafing leafs leaking leaky leal lean leaner leaning leans leaping leaps leapt lear
leary leas lease leash leasing leather leaved leaven leaver leaves leavings lect led ledge lee leeds leer lees leet
lefts lefty leg legging leggins legs lei leis lek leks lem lems len lend lender lengthens leno lens lent leo leon
leos lept les lesa lest leta leto lets lett letting leu lev leven lew lex ley leys lice lick lid lids lie lien life
lift ligating lighted lightening lightens lighters lightly lightnings lights liked liken liker likes lila lilacs
lilt lilted lima limb limed limen limes limey limn limo limp limy lin lina lind lindy lined linen liner lines ling
linger link linking linn lino lint linter linus liny linz lip lire lis lisa lisp lister lists liszt lit lite lith
littler live lived lively livid living lix lizard load loafs loams loans lob lobe lobed lobs lock locks locus lode
lodger loess loft lofts log loge logger loggy logo logs lois lola loll lome lon lond lone lonely loner longe longed
longs loo loom looming looms loon loons loop loops loos loose loot loots lop lope loped loper loping lopper lops loq
lords lore lorn lorry los losel loser loses losing loss lost lota lotas loth loti lott lotus lou lough lounger lour
lours louse lout louts lovell lover loverly loves lovey low lowboy lowe lowed lowers lowery lowing lows lox lues
luge lugo lugs luke lull lully lump lumping lunch lune lung lunger lur lushy lust lusty lute luth lye lying lyme
lyse mab mable mac mace mach macing mack macy mad made mae mag mage mai mail main maj maker makes mako male mali
mall malm malone malt malting mam mana mandy mane manet mange mango mangy mani mania manky manly mann manna manned
mans manta manx mao map mar marbled marbles marbly mare marge marion mark marker marlon maroons marple marron marrow
mart martially mary mas masks massy mast mat mated mater materials maternal mates matey math mather mating mats matt
matted mattel matter mattes mattie matts maturate maturated maturation maun maw max may maybes maytime maze mazy
mclean mead meal mean means meany meat mech med meddle medit meed meet meeting meg meh mel meld melding mellow melts
mem mend mender mene menu menus mere mes mess met metallica mete meted meting metro mev mew mews mex mho mia mic
mice mich mick mid middles middy midnights midst mien mig mights mighty mike mil mild mile mill millions milt milted
milter milting mim mime min mina minas minds mindy mine mined mines ming mingus mini miniatures minis mink minks
minn minos minot mintage minter mints minty minx mire mirrors misc miso miss missive missy mister misti mists mitch
mite mither mitt mitty mix mixed mize mkay mme moa moan moaning moat mob mock mod modal mode models modem moderne
moderns modes moe moet mog moggy moi moil moire moist moke mol mold molder moldier molding moldy mole molt molting
moms mon money mong monger monnet monochromes monody mons mont monte moo moods mooed moog moon mooning moonlights
moony moor moore moos moot mop mope moping mopper mopy mora moral morea morel mores morn mornings moro morphs morphy
mors morse mort mos mosaics mosel mossy most mot mote motel motet moth mothers mots motte moue mould mound mourning
moved mover moves movies moving mow mower mown moxie muck mud muddle mug mugs mulch mull muller mullion multiple
mummer mump mums mun munch mure mus muse mused mush mushy musing musk muss mussy musth musts musty mut mute muter
mutes muts mutt myst nagy nail nair nam name nan nance nancy naoise nappier nappy nark narrows nary nat nate natter
nav nave navvy nay naze neal neap neaps nearing nears neath neb nebr nebs ned needled needy neg neh nejd nell neo
neper nerd nerds ness nest net nets nett netting neut nev never nevil newel newsy newt newts nicer niche nick nide
niece nigger nigh nights nighty nike nil nile nim nina nines nip nit nite nits niue nix nixed nob nock nod noe noes
nog noh noil noised noises noisy nom nome nomen non nonce none nones nonet nook nooks noons noose nope nor norma
normals norman norse norw nos nose notate note noun nov nowise nowt nuder null nun nuncle nursed nurser nurses nus
nut oaf oak oar oast oat obit och ocher ocreate oct odd odder ode oder odes ofay office officers offices offs oft
often ogive ohm oho ohs oik oils oily oink oinking oise oka okas okays oke oking oks ola olde olden oldy olen olid
oliver olives olivet oman omber omen omer ones ono onside ont oof ooh ope oped opel opens opes oping opp opt oral
orang oranges orangs orangy ord order ore oread oren orff originals orr ort osee others otter otto ouch oud oui
ounce ours ouse oust outed outlined outlines outlive outride outs outsider outsides outsize oven overcasts
overexpose overexposes overs overt owe owen owl own oxen oyer pace pacing pack pact pacts pad page paid pail pain
paine pained paining pains painter paintings paints painty pajama pal palace paled paleo paler pales palettes paley
pali pall pallette palm palmer palmette palp pals palter paltering paly pam pan panamas pane panes pang panga pangs
panned pans pant panted panting panto pantos panty pap pappy par para pard pare parka parker parks parky parl parr
pars parson parts party pas pase passel passible passive past paste pasted pastels pastern pastes pastil pasts pat
pate patel patly pats patten patter pattered patterns patters paulette pave paving pawn pay payer paying payt pcs
pct peace peachy peal peale peans pear pearson peart pease peat pec ped pee peed peel peen peep peeping peer pele
pelt pelting pen pencel pencils pend peon peopled peoples pep per perch perfecta perfecto perfects perk perm peron
perron persona persons pert pertly pes pesach pest pester pet petting pew pews pfc phat phi phis pho phonograph phot
photog photographs photography photom photon photos phots pica pice pick picrate pics pict pictured piddle pie piers
pig pike pilate pile pill pillion pin pine ping pinking pinko pinks pinky pins pinsk pint pinter pinto pints piny
pip pipe pirated pirates pis pish pit pitch pith pits pitting pius pix pixelate pixels pixilated pkt placed placer
places placet placid placing plage plaice plaids plain plaint plait plan plane planer planet planing plank plano
plans plants plat plate plater plating platy playa played players playings plays pleach pleas pleased pleases pliant
plier plies plight plighter plighting ploce plop plot plots plow plower plowing ploy plug plugs plum plums plur
plush ply plying pms poach pock pod poe poi pointed points pointy poise pol pola polaroids polder pole policed
policemen polices policewomen policy polite polk polkas pols pom pome pomp ponce ponder pondering pone pones pong
pongs pons poo pood pooka pool poon poop poor pope popper pops pore pork porker porn port porter portly pos pose
poser posher positions positron possibles postcards posted postern posters pot pother pots potted potter potty pouch
pouching pouf pound pours pout pouter pow power pox praise prance prase prat prate prawn pray prayer praying preach
prebend pred preen prefect prepend preserved preserver preserves press pretends prey price pride priding priers prim
princes prink prinking print printed printing project projecting prom prop protects protest protesting prow prs prus
prut pry prying psychedelia psychedelics pts pub pud pug pugs pul pule pull puller puls pump pumping pun punch punk
punner punning punt punts pup purl purpler purples purse pus push pushy puts putt putz pvt pwt pye pyle qom qto qts
qty quack que quean queens queer quern ques quiet quine quinte quire quirk quit quito quits qum quote rabin racing
rack racked rad rae rafter rage raid raider raiding rail railing rains rainstorms raised raiser raises raising rake
rale rall rally ram ran rance rand randy rang range rani rant ranted rants rap rape rappen rare rase rasher rat rate
rater rathe rating ratter rattle rave ravin raving raw ray raze rcd reach reacher reade reader readings reads ready
readying realm reals realty ream reaming reap reaping reaps rear rearing reason reave reaving rec recd reck recolors
recreated recreates rect redd redder redding rede redo redrawn redraws redrew reds reduced reducer reduces reed
reeding reeds reel reest ref refl reft reg regal regally regard regt reid reilly rein reining rel rem remote removed
remover removes renaissances renal rend renders rending rent renter rep repaid repaints repairs replaced replacer
replaces reprint repro rept req res resat rescore reserve reserving reset resht reside resides resile resit resized
resizes resp restive restored restorer restores rests retards retching retd retrod retros retry rets retting rev
reval revery rewards rewove rex rhine rho ria rial riant rib rice ricer ricing rick ridding riddle riders rides
ridge ridging rids rife rifer rig rigger righter righting rightness righto rights rile riling rill rim rime riming
rind ring ringer rink rio rip ripen riper rips rise riser risible rising rit rite riv rive river riving road roads
roc roca rocks rocky rocs rod rode roes roil rom roman rome ron roo rood rook rooks room roost rope roping ropy rose
roster rot rotated rotates roth rots rotted rotter rotund rouble rouge roughed roughen roughs rounds rout rove roved
rover roving row rowdy rower roy rub ruck ruddy rude ruder rue rued rues rug rugs ruin ruining rum rummer rump rune
rung runnel runners runnier runny runs runt runty rus ruse rush rushy rusk rust rusts rut rutty ryan ryder rye sab
sable sac sack sacred sade sadi sadr safer safes sag sage saggy said sail sailing sain saint sainted sake sal sale
salk salter salve salver sam sames samey san sand sanding sands sane sang sanger sap sappier sappy sard sarge sat
sate sating saturates sava saved saver saves saving savor savour saw sawn sax says scabby scad scala scald scaled
scaler scales scalp scaly scan scanter scape scar scare scares scarf scarfed scarp scarped scarper scarred scars
scatted scattered scatters scend scenes scent scissor scold scolder scone scored scorner scot scotty scow scream
scut scute scutter sea seal seam sear seared searing seasons seat seating sec seconds sect secund sedge seduce seed
seeded seeds seek seel seems seen seep seeping seeps seer sees seine seining seize sejm sell sem semen sen send
sender sene sent sep sept septa seq ser sere serifs serines serins serves seta seth sets sett settings settling
sevens sever severn sew sewer sews sex sext sexting sgd sgt shack shacked shad shaded shades shadow shadowy shads
shady shaft shake shale shall shame shan shandy shane shang shank shanks shaped shaper shapes shard share shared
sharer shari shark sharpe sharped sharpens sharpers sharps sharpy shat shatter shaved shaven shaver shaves shaw shay
shea sheave shed sheen sheer sheers sheet sher shes shew shh shier shifts shifty shim shimming shin shindy shined
shiner shines shinning shinny shins shire shirt shirts shit shitting shive shlep shoa shoat shoats shocker shod shoe
shone shoo shoot shooter shoots shop shore shores shorn shorted shortens shorty shote shots shotten shout shouter
shouts shove showa showing showman shown shows showy shpt shr shrank shriek shrift shrine shrinks shrunk shtick
shucked shut shuttered shy sib sic sicko sicks sics sid sided sides siding sidle sift sifter sifting sig sight
sighting sightly sights sign signer sike silk sill silt silted silting silvern silvers silvery sim simile simmer
simmering sin sind sine singe singed singers singes singh sings sinh sining sink sinker sinking sinner sins sinter
sinus sion sip sir sire siring sis sisters sita site siting sits sitter sittings situ sized sizer sizes skateboarded
skateboarders skeps sketcher sketches sketchy skid skids skied skiers skies skim skimming skirr skit skiver sky
slack slaggy slant slap slat slave slay slayer slaying sld sleave sleek sleeking sleepings sleeps sleet sleeting
sleety slick slide slier slight slighter slighting slim slime slimming sling slinger slip slit slitting sliver slot
slots slotted slow slower slowing slue slummer slur slurred slurry slush sly smack smalls smalt smatter smattered
smell smelt smelting smiled smiler smiles smiley smit smite smiting smocked smooch smooths smoothy smother snack
snaggy snap snapshots snare snared snick snide snit snitch snob snog snoring snort snorter snorts snot snotty
snowball snowfalls snowmen snows snowstorms soap soared soave sob soc sock socked sod softens softer soggy soh soil
soiling soke sol sold solder soldiers soldiery sole solider solver som soma somethings somewhats somme sone sones
song songs sonny sons sony soon soot sooth sop sore sorn sort sorter sorts sos sot sots sotted sou sough sound sour
sours sow sower sowing sown sox soy spaced spacer spaces spacey spackle spacy spade spae spake spall spare spared
sparely sparing spark sparking sparkled sparkler sparkles sparky sparling spate spatted spatter spattered spay
specie spectacle spectacled spic spice spick spicy spier spike spile spine spinier spiny spiry spit spitted spitting
splay splaying spook spooks spoony sporing sport sported sports sporty spot spotter spout spouted sprang spreads
spreed sprig springe springs springy sprinkled sprinkler sprinkles sprint sprouts sprung spuing spy spying squame
squared squarer squares squire sta stacc staci stacks stacy stage staid stainer stake stale staled stalk stall stan
standings stands stane stang stank stans star stared starer stares stark starkly starlet starr stars start starve
state stave stay std ste steal steam steen steep steeping steeps stele stem stems step stere stet stets stetting
steven stews stich sticks sticky stile stine sting stinger stink stint stirk stitch stock stocked stoke stole stoned
stoner stones stoney stony stook stop stope stops stor store storey stork storms story stove stow stowe stowing
straightens straighter straights strained strand stranding stretchy strick string strip stripe striper stripes
stripey stripped strips stript strived stuck students sty stye styles stylet styli stylise stylite stylized stylizes
suave subset substituted substitutes such suck sud sue suer sues suet suffer suing suit suite sully sum sumer summed
summers summery sumner sump sumter sun sunder sung sunn sunna sunni sunning sunrises sunsets sunshiny sunwise sup
superb superl supers supper supposed supposes sur surer surfaced surfaces surfed surfers surly surprise surprises
surrealism surrealists surrounding surrounds sven swab swag swale swam swamp swan swaps swarm swat swatch swatter
swattered sway swear swearing sweep sweeping swell sweven swift swig swill swims swine swing swinger swink swipe
swiz swop swot swotted swum syn taal tab table tace tach tack tacks tad tael tag tai tail tain taint tainted
tainting tais taka taken taker takes tala talc taler tales tali talk talker talking talks talley tallier tally tam
tame tana tang tanga tangs tanh tank tanked tanks tanner tans tao tap tape tar tare targe tarim tarn tart tartly
task tass tat tate tatter tattle tau taunt taunted taw tax tea teach teachers teaches teak teals teams tear tearing
teas teat ted tee teed teem teemed teenage teenaged teenagers teens teeny tees tel teller tells telly tels
temperatures tend tender tenn tens tent tenter ter term tern tess test tet tex text textured textures thad thai
thais thana thane thanes thanh thant thar tharp thaw thea thebe thee thees thegn theirs themes therm therme theses
thess thew thewy thicken thicket thicko thine thingy thinker thinks thinned thinners thins thirds tho thole thong
thongs thorn thorough though threes threw throb throe thrown throws thu thugs thun thunders thunderstorms thundery
thunk thunks thus thy thyme tic tick ticker tiddler tide tiding tie tight tighten tighter tike til tile till tiller
tilt tilted tilter tim timed timer times timex tin tina tinct tine tines ting tings tinned tinner tinny tins tinter
tints tipi tips tirade tire tit titch tits tittle tiu tiv toads tob tod toddle toddled toddlers toddles tody toe
toes toff tog toggles togo togs toil tojo tokay toke tokes told tole toll tom tome tomes toms tonally toned toner
toners tong tonga toni tonne tonnes tonto tonus tony tool toot tope topes topi topical toping topper tops tor tora
torch torching tore tori torr tors tort tory toss tot tote totes tother toto tots totted totter touchings touchy
tough tougher toughing tour tours tout tow tower town townes towns tows tox toy toys trace track tracked trad traded
trader trades train training tram tran transforms trap trave tray tread treading treat tree treen tress trey trick
tricker trig trims trio trip tripe trite tron trons trough troupers trouser trow troy trusty trying tsp tue tues
tugs tull tum tun tune tunes tunny tuns turd turf turin turk turning turns turquois turquoises tush tushy tusk tusks
tut tux tver twas twat tween twi twill twin twinight twink twitch twos twp tyg tying tyke tyne typ tyr tyree udder
udo ugh uhf ulm umber ump umping uncharged uncles underexpose underexposes underneaths unset unto updated updater
updates upped uppers uprate ups upton urey urn used user uses usk usu ute uther uts vail vain vale van vance vang
vanned vantage vaporware var varnish vary vas vast vastly vat vaunt vaunted veal veep veer veery veil ven vend
vender venerate ventage venter vera verb vern vert vest vet vetting vial vibrancy vic vice vices vida vide vie vied
vier vies views viewy vignetted vignettes vii vil vila vile vim vina vince vine vines vinic vintager vintages
violent violets visa vise vises visibly visualised visualises visualized visualizer visualizes vita vittle viva vive
viz vizard voes vol vouch vouching vow vower wac wace wack wad wade waded wader wading wads waft wafted wag wage
waging wags wail wain wait waite waited waive waiving wake waking wal wald wale waling walks wall waller walling
walt walter wame wan wand wander wandering wane waned wang waning wank wanked wanking wantad wants war warble ward
warder ware warier waring warmed warmers warms warn warner warp warper wars wart wary wash wasp wast wasted wat
watch watercolors watercolours watt wattle waugh waved waver waves waw waws wax waxing waxy ways weak weal wealthy
wean weaning weans wearings wears weary wearying weathers weave weaving web wed wedge wee weed weeded weeds ween
weep weeping weer weft wei weight weill weir weld wells welly welt welted welting wen wend wendy went wept wert west
wether wets wetting whale wham whap whats wheat whee wheen whelp whens wheres whet whetter whew whey whf whicker
whiled whiles whim whin whine whinier whining whiny whish whit whited whiten whiter whites whitey whither whits
whity whoa wholes whom whop whore whoso whsle why wick widens wides width wien wifi wig wight wights wild wilde
wilder wile wiled willa willed wills willy wilt wily win winch wincing wind winder windigo winding winds wine winery
wing winger winging winier wining winker winkled winkling winks winner winning wino wins winters wintertide wintery
winy wiped wiper wipes wire wirer wis wise wiser wish wist wit witchy wite withe withing withy wits witt witted
witter wittered witting wive wiving wizards wizen woald woden woe woes wog wok woken wold won wonders wong wonk wont
wonted woo wood woodcuts wooded woodmen woody wool woolen wooten wop word wore worked workers worlds worm worn worry
worser wot wotan woulds wound wounder wove woven wows wrack wracked wraps wrapt wreak wren wrest wright wring
wrinkle wrinkles writ writer writes writhe writs wrote wry wyat wye wyo xis xix xor xxi xxv xxx yack yale yam yang
yappy yare yarrow yawn yeans year yeast yell yellows yellowy yelp yen yer yest yet yew yews yid yids yin yip yipe
yob yock yod yodel yogh yolks yon yonder yong yore yorker younker yous yow yum yup zach zany zappy zeal zed zee zen
zest zig zillion zine zing zinger zip zit zits zone zones zoo zool zooms zoon zoos zorn zoster
""".split()
)
