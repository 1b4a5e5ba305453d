-- The DKIM-Signature fields a milter adds, one message per From: address, driven by OpenDKIM's
-- miltertest: the same client for OpenDKIM and for dkimrelay.
-- usage: miltertest -D socket=inet:PORT@127.0.0.1 -D addresses=a@x.example,b@y.example -s THIS
-- Prints one line per signature: ADDRESS<TAB>FIELD VALUE (folded lines joined), or
-- ADDRESS<TAB>none when the message went unsigned.

local function each(list)
	local items = {}
	for item in string.gmatch(list, "[^,]+") do
		table.insert(items, item)
	end
	return items
end

for _, address in ipairs(each(addresses)) do
	local conn = mt.connect(socket, 40, 0.25)
	if conn == nil then
		error("cannot connect to " .. socket)
	end
	mt.conninfo(conn, "localhost", "127.0.0.1")
	mt.macro(conn, SMFIC_MAIL, "i", "PARITY")
	mt.mailfrom(conn, address)
	-- a filter that asked not to see RCPT or the end of headers makes these raise: skip them then
	pcall(mt.rcptto, conn, "someone@example.edu")
	mt.header(conn, "From", address)
	mt.header(conn, "To", "someone@example.edu")
	mt.header(conn, "Date", "Sat, 05 Dec 2026 12:00:00 +0000")
	mt.header(conn, "Subject", "which keys sign " .. address)
	mt.header(conn, "Message-ID", "<parity." .. address .. ">")
	local accepted = false
	local ok = pcall(mt.eoh, conn)
	if ok and mt.getreply(conn) == SMFIR_ACCEPT then
		accepted = true -- OpenDKIM accepts at the end of the header for mail it will not sign
	end
	local signatures = 0
	if not accepted then
		mt.bodystring(conn, "Hello.\r\n")
		mt.eom(conn)
		local n = 0
		while true do
			local field = mt.getheader(conn, "DKIM-Signature", n)
			if field == nil then
				break
			end
			print(address .. "\t" .. string.gsub(field, "[\r\n\t ]+", " "))
			signatures = signatures + 1
			n = n + 1
		end
	end
	if signatures == 0 then
		print(address .. "\tnone")
	end
	mt.disconnect(conn)
end
